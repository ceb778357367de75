import { useState } from 'react';
import type { Character, ChatTargets, ConversationView, RunId } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke, useChatTargets } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { SceneFields, TargetFields, useSceneChoice, useTargetChoice } from './chat-fields';

/**
 * A new conversation: whom to talk to (one of the character's runs, or a plain model as a
 * baseline), through which runtime (unavailable ones say why), and where: a setting typed here, as
 * in training, or a scene of the dataset whose turns become the history.
 */
export function NewConversation({
  character,
  runId,
  onCreated,
}: {
  character: Character;
  runId?: RunId;
  onCreated: (view: ConversationView) => void;
}) {
  const targets = useChatTargets(character.id);
  const setTab = useUi((s) => s.setCharacterTab);
  const openSettings = useUi((s) => s.openSettings);
  if (targets.isPending) return <p className="muted">Looking for runs and models…</p>;
  if (targets.isError) return <p className="form-error">{targets.error.message}</p>;
  const { runs, baselines } = targets.data;
  if (runs.length === 0 && baselines.length === 0) {
    return (
      <div className="empty small chat-new">
        <h3>Nobody to talk to yet</h3>
        <p>
          Train {character.shortName} on the Train tab, or add a model in Settings → Providers to chat with it as a
          baseline.
        </p>
        <div className="actions centered">
          <button className="primary" onClick={() => setTab('train')}>
            Go to Train
          </button>
          <button onClick={() => openSettings(true)}>Open Settings</button>
        </div>
      </div>
    );
  }
  return <NewConversationForm character={character} targets={targets.data} runId={runId} onCreated={onCreated} />;
}

function NewConversationForm({
  character,
  targets,
  runId,
  onCreated,
}: {
  character: Character;
  targets: ChatTargets;
  runId: RunId | undefined;
  onCreated: (view: ConversationView) => void;
}) {
  const who = useTargetChoice(targets, runId ? { target: { kind: 'run', runId } } : {});
  const scene = useSceneChoice(character.id);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async () => {
    if (!who.target || !who.chosen || !scene.chosen) return;
    setBusy(true);
    setError(null);
    try {
      onCreated(
        await invoke('chat/create', {
          characterId: character.id,
          target: who.target,
          runtime: who.chosen.kind,
          ...scene.chosen,
          ...(scene.userNameChange !== null && { userName: scene.userNameChange }),
        }),
      );
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="chat-new"
      aria-label="New conversation"
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
    >
      <h2>New conversation with {character.shortName}</h2>
      <TargetFields state={who} characterName={character.shortName} />
      <SceneFields state={scene} sceneLabel="Start from a dataset scene" />
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button className="primary" disabled={busy || !who.ready || !scene.chosen}>
        {busy ? 'Starting…' : 'Start the conversation'}
      </button>
    </form>
  );
}
