import { useState, type FormEvent } from 'react';
import type { CharacterId, DatasetFormat, SceneKind } from '../../../../common/contract';
import { useCharacters, useInfo } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { DialogFooter } from '../dialog-footer';
import { Modal } from '../Modal';
import { IoNotices, IoProgress, useIoRun } from './io-progress';
import '../../interop.css';

const FORMATS: { id: DatasetFormat; label: string; hint: string }[] = [
  {
    id: 'paper',
    label: "The paper's format",
    hint: 'prompt / output / source lines, byte for byte as Character-LLM released them',
  },
  { id: 'sharegpt', label: 'ShareGPT', hint: 'conversations of from / value: axolotl, LLaMA-Factory' },
  { id: 'openai', label: 'OpenAI chat', hint: 'messages of role / content: OpenAI fine-tuning, TRL' },
  { id: 'alpaca', label: 'Alpaca', hint: 'instruction / input / output' },
  {
    id: 'hf',
    label: 'Hugging Face dataset',
    hint: 'a folder with data/train.jsonl, a validation split and a dataset card',
  },
];

const KINDS: { id: SceneKind; label: string }[] = [
  { id: 'normal', label: 'Normal' },
  { id: 'protective', label: 'Protective' },
  { id: 'hand', label: 'Written by hand' },
  { id: 'chat_correction', label: 'Chat corrections' },
];

/**
 * The Dataset tab's "Export dataset…": which characters, kinds and split, which format, and the
 * folder on the studio's machine. Shows progress with Cancel, then the report: what was written
 * and what the rules left out.
 */
export function DatasetExportDialog({ characterId }: { characterId: CharacterId }) {
  const close = useUi((s) => s.close);
  const characters = useCharacters().data ?? [];
  const dataDir = useInfo().data?.dataDir ?? '';
  const { requestId, report, error, pending, start } = useIoRun('dataset/export');
  const [chosen, setChosen] = useState<ReadonlySet<CharacterId>>(new Set([characterId]));
  const [kinds, setKinds] = useState<ReadonlySet<SceneKind>>(new Set(KINDS.map((k) => k.id)));
  const [format, setFormat] = useState<DatasetFormat>('paper');
  const [trainPercent, setTrainPercent] = useState('100');
  const [seed, setSeed] = useState('42');
  const [includeProblems, setIncludeProblems] = useState(false);
  const [licence, setLicence] = useState('other');
  const [folder, setFolder] = useState<string | null>(null);
  const short = characters.find((c) => c.id === characterId)?.shortName ?? 'character';
  const sep = dataDir.includes('\\') ? '\\' : '/';
  const out = folder ?? `${dataDir}${sep}exports${sep}${short.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${format}`;
  const share = Number(trainPercent) / 100;
  const shareOk = Number.isFinite(share) && share > 0 && share <= 1;

  const toggle = <T,>(set: ReadonlySet<T>, value: T): Set<T> => {
    const next = new Set(set);
    if (next.has(value)) next.delete(value);
    else next.add(value);
    return next;
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void start((id) => ({
      characterIds: [...chosen],
      format,
      out,
      kinds: [...kinds],
      trainShare: share,
      seed: Number(seed) || 0,
      includeProblems,
      ...(format === 'hf' && { licence }),
      requestId: id,
    }));
  };

  if (report) {
    return (
      <Modal title="Dataset exported" onClose={close} wide>
        <div className="form io-report">
          <p>
            <strong>{(report.train + report.validation).toLocaleString('en-US')} scenes</strong> written ·{' '}
            {report.train.toLocaleString('en-US')} train
            {report.validation > 0 && `, ${report.validation.toLocaleString('en-US')} validation`} · in{' '}
            {report.durationMs < 1000 ? `${report.durationMs} ms` : `${(report.durationMs / 1000).toFixed(1)} s`}
          </p>
          <ul className="io-files" aria-label="Files written">
            {report.files.map((f) => (
              <li key={f.path}>
                <code>{f.path}</code>
                {f.role !== 'config' && (
                  <span className="muted">
                    {' '}
                    {f.items.toLocaleString('en-US')} {f.role}
                  </span>
                )}
              </li>
            ))}
          </ul>
          <IoNotices notices={report.notices} onDone={close} />
        </div>
      </Modal>
    );
  }

  return (
    <Modal title="Export dataset" onClose={close} wide>
      <form className="form io-form" onSubmit={onSubmit}>
        <fieldset className="io-choices">
          <legend>Characters</legend>
          {characters.map((c) => (
            <label key={c.id} className="io-tick">
              <input type="checkbox" checked={chosen.has(c.id)} onChange={() => setChosen(toggle(chosen, c.id))} />
              {c.fullName}
            </label>
          ))}
        </fieldset>
        <fieldset className="io-choices">
          <legend>Kinds of scene</legend>
          {KINDS.map((k) => (
            <label key={k.id} className="io-tick">
              <input type="checkbox" checked={kinds.has(k.id)} onChange={() => setKinds(toggle(kinds, k.id))} />
              {k.label}
            </label>
          ))}
          <small>Accepted and unreviewed scenes are exported; rejected ones never are.</small>
        </fieldset>
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value as DatasetFormat)}>
            {FORMATS.map((f) => (
              <option key={f.id} value={f.id}>
                {f.label}
              </option>
            ))}
          </select>
          <small>
            {FORMATS.find((f) => f.id === format)?.hint}. Configs for axolotl and LLaMA-Factory are written beside it.
          </small>
        </label>
        <div className="io-row">
          <label>
            Train share (%)
            <input inputMode="decimal" value={trainPercent} onChange={(e) => setTrainPercent(e.target.value)} />
            <small>The rest is the validation split.</small>
          </label>
          <label>
            Split seed
            <input inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} />
            <small>The same seed gives the same split.</small>
          </label>
          {format === 'hf' && (
            <label>
              Licence
              <input value={licence} onChange={(e) => setLicence(e.target.value)} />
              <small>For the dataset card, e.g. cc-by-4.0.</small>
            </label>
          )}
        </div>
        <label className="io-tick">
          <input type="checkbox" checked={includeProblems} onChange={(e) => setIncludeProblems(e.target.checked)} />
          Include scenes with format problems (other speakers&apos; thoughts are still left out)
        </label>
        <label>
          Folder
          <input value={out} onChange={(e) => setFolder(e.target.value)} spellCheck={false} />
          <small>
            On the machine the studio runs on. A new or empty folder, or an earlier export (it is replaced).
          </small>
        </label>
        {!shareOk && <p className="form-error">The train share is a percentage above 0 and at most 100.</p>}
        <DialogFooter
          error={error}
          onClose={close}
          closeLabel="Close"
          submitLabel="Export"
          pendingLabel="Exporting…"
          pending={pending}
          disabled={chosen.size === 0 || kinds.size === 0 || !shareOk || out.trim() === ''}
        >
          {requestId && <IoProgress requestId={requestId} verb="Exported" />}
        </DialogFooter>
      </form>
    </Modal>
  );
}
