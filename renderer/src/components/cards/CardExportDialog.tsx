import { useState, type FormEvent } from 'react';
import { smallFileSize } from '../../../../common/file-size';
import type { CardFormat, CharacterId, RunId } from '../../../../common/contract';
import { download, fromBase64 } from '../../lib/files';
import { useTrainingRuns } from '../../lib/queries';
import { useDialogCommand } from '../dialog-command';
import { DialogFooter } from '../dialog-footer';
import { Modal } from '../Modal';
import '../../interop.css';
import { formatTime } from '../../lib/format';

const FORMATS: { id: CardFormat; label: string; hint: string }[] = [
  { id: 'v3-png', label: 'V3 PNG', hint: 'the picture with both the V3 (ccv3) and V2 (chara) card in it: most apps' },
  { id: 'v2-png', label: 'V2 PNG', hint: 'the picture with a V2 card (chara): older apps' },
  { id: 'v3-json', label: 'V3 JSON', hint: 'chara_card_v3 as a .json file' },
  { id: 'v2-json', label: 'V2 JSON', hint: 'chara_card_v2 as a .json file' },
];

/**
 * "Export card…": the character as a character card for chat apps, or a trained character card
 * (V3) naming one of its finished runs: adapter or GGUF files, base model, format and sampling.
 */
export function CardExportDialog({
  characterId,
  runId: chosenRun,
}: {
  characterId: CharacterId;
  runId?: RunId | undefined;
}) {
  const runs = (useTrainingRuns(characterId).data ?? []).filter((run) => run.status === 'succeeded');
  const [format, setFormat] = useState<CardFormat>('v3-png');
  const [runId, setRunId] = useState<RunId | ''>(chosenRun ?? '');
  const { run, error, pending, close } = useDialogCommand('cards/export');
  const trained = runId !== '';

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run({ characterId, format, ...(trained && { runId }) }, (card) => {
      download(card.fileName, fromBase64(card.base64), card.mime);
      return `Saved ${card.fileName} (${smallFileSize(card.bytes)}).`;
    });
  };

  return (
    <Modal title="Export a character card" onClose={close}>
      <form className="form" onSubmit={onSubmit}>
        <fieldset className="io-choices">
          <legend>Format</legend>
          {FORMATS.map((f) => (
            <label key={f.id} className="io-tick">
              <input
                type="radio"
                name="card-format"
                checked={format === f.id}
                disabled={trained && f.id.startsWith('v2')}
                onChange={() => setFormat(f.id)}
              />
              {f.label}
            </label>
          ))}
          <small>{FORMATS.find((f) => f.id === format)?.hint}.</small>
        </fieldset>
        {runs.length === 0 ? (
          // Nothing to choose yet: said in a line, not a select of one option.
          <div className="field-line" data-testid="trained-model-none">
            <span>Trained model</span>
            <small>None yet: the card holds the character only. Finish a training run to export a trained card.</small>
          </div>
        ) : (
          <label>
            Trained model
            <select
              value={runId}
              onChange={(e) => {
                const next = e.target.value as RunId | '';
                setRunId(next);
                if (next && format.startsWith('v2')) setFormat(format === 'v2-png' ? 'v3-png' : 'v3-json');
              }}
            >
              <option value="">None: the character only</option>
              {runs.map((run) => (
                <option key={run.id} value={run.id}>
                  Trained card: {run.config.baseModel} · {run.config.format} ·{' '}
                  {formatTime(run.finishedAt ?? run.updatedAt)}
                </option>
              ))}
            </select>
            <small>
              {trained
                ? 'A V3 card whose extensions name the run’s adapter and GGUF files (with sha256), its base model, how it was trained and the sampling to use.'
                : 'Description from the profile, scenario from the paper’s interview setting unless the profile has one; sources and licences in the creator notes.'}
            </small>
          </label>
        )}
        <DialogFooter
          error={error}
          onClose={close}
          submitLabel="Export"
          pendingLabel={trained ? 'Hashing the run’s files…' : 'Exporting…'}
          pending={pending}
        />
      </form>
    </Modal>
  );
}
