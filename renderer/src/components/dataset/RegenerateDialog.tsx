import { useState, type FormEvent } from 'react';
import type { Character, ProviderId, RegenerateJob } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke, storeJob, useJobs, useProviders } from '../../lib/queries';
import type { ReviewTarget } from '../../lib/review';
import { defaultProviderId } from '../generation/settings-form';
import { DialogFooter } from '../dialog-footer';
import { Modal } from '../Modal';

/** Instructions a person might write, about the character whose scene it is (no pronoun assumed). */
const examples = (short: string): string[] => [
  `${short} is angrier`,
  `${short} has not met this visitor before`,
  'shorter turns, more thinking',
];

/**
 * Asks for the written instruction (and the provider, by default the one the character's last job
 * used) and starts a `regenerate` job. Each rewrite becomes a new revision of its scene, never an
 * overwrite; the job shows with the others on the Generate tab.
 */
export function RegenerateDialog({
  character,
  target,
  turn,
  count,
  onClose,
  onStarted,
}: {
  character: Character;
  /** Which scenes it covers: named ones (the editor, a selection) or every result of a filter. */
  target: ReviewTarget;
  /** 0-based: rewrite only this turn of the one scene named. */
  turn?: number;
  /** Scenes the target covers, for the title and the confirmation of large jobs. */
  count: number;
  onClose: () => void;
  onStarted: (job: RegenerateJob) => void;
}) {
  const providers = useProviders().data ?? [];
  const lastUsed = useJobs(character.id).data?.[0]?.settings.providerId ?? null;
  const [instruction, setInstruction] = useState('');
  const [picked, setPicked] = useState<ProviderId | ''>('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const providerId = (picked || defaultProviderId(providers, lastUsed)) as ProviderId | '';
  const what = turn === undefined ? 'the experience' : `turn ${turn + 1}`;
  const scenes = `${count.toLocaleString('en-US')} scene${count === 1 ? '' : 's'}`;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!providerId || busy) return;
    if (count > 20 && !window.confirm(`Rewrite ${scenes}? That is one LLM call each.`)) return;
    setBusy(true);
    setError(null);
    try {
      const job = await invoke('scenes/regenerate', {
        characterId: character.id,
        ...target,
        instruction,
        providerId,
        ...(turn !== undefined && { turn }),
      });
      storeJob(job);
      onStarted(job);
      onClose();
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };

  return (
    <Modal title={`Regenerate ${what}${count === 1 ? '' : ` of ${scenes}`}`} onClose={onClose}>
      <form className="form regenerate-form" onSubmit={(e) => void submit(e)}>
        <label>
          What should change?
          <textarea
            autoFocus
            required
            rows={3}
            maxLength={2000}
            aria-label="Instruction"
            placeholder={examples(character.shortName || character.fullName).join(' · ')}
            value={instruction}
            onChange={(e) => setInstruction(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e);
            }}
          />
          <small>
            The LLM gets the scene’s experience prompt, the {turn === undefined ? 'current text' : 'turns around it'}{' '}
            and this instruction. The rewrite becomes a new revision: undo or History bring the old text back.
          </small>
        </label>
        <label>
          Provider
          <select aria-label="Provider" value={providerId} onChange={(e) => setPicked(e.target.value as ProviderId)}>
            {providers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
                {p.model ? ` · ${p.model}` : ''}
              </option>
            ))}
          </select>
          {providers.length === 0 && <small className="form-error">Add a provider under Settings first.</small>}
        </label>
        <DialogFooter
          error={error}
          onClose={onClose}
          submitLabel="Regenerate"
          pendingLabel="Starting…"
          pending={busy}
          disabled={!providerId || instruction.trim() === ''}
        />
      </form>
    </Modal>
  );
}
