import { useState } from 'react';
import type { ChatTargets, CommandArg, Conversation } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke, useChatTargets } from '../../lib/queries';
import { DialogFooter } from '../dialog-footer';
import { Modal } from '../Modal';
import {
  SamplingFields,
  SceneFields,
  TargetFields,
  useSamplingFields,
  useSceneChoice,
  useTargetChoice,
} from './chat-fields';

/**
 * The settings of an open conversation (`chat/update`): who answers (a run or a baseline) and
 * through which runtime, how replies are sampled, and the scene, typed or taken from a dataset
 * scene. Saved settings apply from the next reply; the replies written keep what produced them.
 */
export function ConversationSettings({
  conversation,
  characterName,
  onClose,
}: {
  conversation: Conversation;
  characterName: string;
  onClose: () => void;
}) {
  const targets = useChatTargets(conversation.characterId);
  return (
    <Modal title="Conversation settings" onClose={onClose} wide>
      {targets.isPending ? (
        <p className="muted form">Looking for runs and models…</p>
      ) : targets.isError ? (
        <p className="form-error form">{targets.error.message}</p>
      ) : (
        <SettingsForm
          conversation={conversation}
          characterName={characterName}
          targets={withCurrent(targets.data, conversation)}
          onClose={onClose}
        />
      )}
    </Modal>
  );
}

function SettingsForm({
  conversation: c,
  characterName,
  targets,
  onClose,
}: {
  conversation: Conversation;
  characterName: string;
  targets: ChatTargets;
  onClose: () => void;
}) {
  const who = useTargetChoice(targets, { target: c.target, runtime: c.runtime });
  const scene = useSceneChoice(c.characterId, c.setting, c.userName);
  const sampling = useSamplingFields(c.sampling);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const save = async () => {
    if (!who.target || !who.chosen || !sampling.sampling || !scene.chosen) return;
    const patch: CommandArg<'chat/update'> = {
      id: c.id,
      target: who.target,
      runtime: who.chosen.kind,
      sampling: sampling.sampling,
      ...('sceneId' in scene.chosen
        ? { settingFromSceneId: scene.chosen.sceneId }
        : scene.changed && { setting: scene.chosen.setting }),
      ...(scene.userNameChange !== null && { userName: scene.userNameChange }),
    };
    setPending(true);
    setError(null);
    try {
      await invoke('chat/update', patch);
      onClose();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setPending(false);
    }
  };

  return (
    <form
      className="form chat-new chat-settings"
      aria-label="Conversation settings"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <p className="muted">
        Changes apply from the next reply; the replies already written keep the runtime, model and sampling that made
        them (hover a reply’s “details”).
      </p>
      <TargetFields state={who} characterName={characterName} />
      <SamplingFields state={sampling} />
      <SceneFields
        state={scene}
        sceneLabel="Take it from a dataset scene"
        sceneHint="Its location and time and its status replace the scene above; the conversation so far stays."
      />
      <DialogFooter
        error={error}
        onClose={onClose}
        submitLabel="Save for the next replies"
        pendingLabel="Saving…"
        pending={pending}
        disabled={!who.ready || !sampling.sampling || !scene.chosen}
      />
    </form>
  );
}

/** The targets offered, with the conversation's own kept even when gone (a deleted run or provider). */
function withCurrent(targets: ChatTargets, c: Conversation): ChatTargets {
  const t = c.target;
  if (t.kind === 'run' && !targets.runs.some((r) => r.runId === t.runId))
    return {
      ...targets,
      runs: [
        ...targets.runs,
        {
          runId: t.runId,
          label: `Run ${t.runId.slice(0, 8)} (no longer available)`,
          runtimes: [{ kind: c.runtime, available: false, reason: 'This run no longer exists: pick another one.' }],
        },
      ],
    };
  return targets;
}
