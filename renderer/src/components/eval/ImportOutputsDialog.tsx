import { useState, type FormEvent } from 'react';
import type { CharacterId, OutputsImportReport, OutputsImportRequest } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { toBase64 } from '../../lib/files';
import { invoke, queryClient, useCharacters } from '../../lib/queries';
import { DialogFooter } from '../dialog-footer';
import { Modal } from '../Modal';

/** What files picked here may weigh together: the web door takes requests of 16 MB, base64 adds a third. */
const MAX_UPLOAD_BYTES = 9 * 1024 * 1024;
const SKIP = '';

/**
 * "Import paper outputs…": the paper's released interview outputs (its `gen_results` folder by
 * path, or files picked here) as imported systems. First a dry run says what would come in and
 * which short names match no character; the user picks a character for each (or leaves it out),
 * then the import runs. Nothing is guessed.
 */
export function ImportOutputsDialog({ onClose }: { onClose: () => void }) {
  const characters = useCharacters();
  const [path, setPath] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [plan, setPlan] = useState<OutputsImportReport | null>(null);
  const [map, setMap] = useState<Record<string, string>>({});
  const [done, setDone] = useState<OutputsImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const pick = (list: FileList | null) => {
    setError(null);
    setPlan(null);
    const picked = [...(list ?? [])].filter((f) => /\.jsonl?$/i.test(f.name));
    const size = picked.reduce((n, f) => n + f.size, 0);
    if (size > MAX_UPLOAD_BYTES) {
      setError(
        `These files weigh ${(size / 1048576).toFixed(1)} MB; above ${MAX_UPLOAD_BYTES / 1048576} MB, give the folder's path instead.`,
      );
      return;
    }
    setFiles(picked);
  };

  const request = async (dryRun: boolean): Promise<OutputsImportRequest> => {
    const chosen = Object.fromEntries(Object.entries(map).filter(([, id]) => id !== SKIP)) as Record<
      string,
      CharacterId
    >;
    if (files.length === 0) return { paths: [path.trim()], map: chosen, dryRun };
    const uploads = await Promise.all(
      files.map(async (f) => ({
        // A folder picked keeps its relative path: the result folder's name says character and system.
        name: f.webkitRelativePath || f.name,
        base64: toBase64(new Uint8Array(await f.arrayBuffer())),
      })),
    );
    return { files: uploads, map: chosen, dryRun };
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setError(null);
    void (async () => {
      try {
        const report = await invoke('eval/import-outputs', await request(plan === null));
        if (plan === null) setPlan(report);
        else {
          setDone(report);
          void queryClient.invalidateQueries({ queryKey: ['eval/report'] });
        }
      } catch (e) {
        setError(messageOf(e));
      } finally {
        setPending(false);
      }
    })();
  };

  if (done) {
    return (
      <Modal title="Paper outputs imported" onClose={onClose} wide>
        <div className="form io-report" data-testid="outputs-imported">
          <OutputsSummary report={done} />
          <div className="actions">
            <button className="primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      </Modal>
    );
  }

  const unmatched = plan?.unmatched ?? [];
  return (
    <Modal title="Import paper outputs" onClose={onClose} wide>
      <form className="form io-form" onSubmit={onSubmit}>
        <p className="muted">
          The paper&apos;s released answers (<code>gen_results</code>:{' '}
          <code>interview_single/Beethoven_sft_result/…</code>,{' '}
          <code>interview_turns/multiturn_Beethoven_sft_result/…</code>, or files named like{' '}
          <code>Beethoven_sft.json</code>) become systems of their characters, judged and reported like your own.
        </p>
        {!plan && (
          <>
            <label>
              The folder or file on the studio&apos;s machine
              <input
                value={path}
                placeholder="/data/trainable-agents/data/gen_results"
                onChange={(e) => setPath(e.target.value)}
                spellCheck={false}
                disabled={files.length > 0}
              />
            </label>
            <label className="link file-label">
              Or choose files
              <input
                type="file"
                multiple
                accept=".json,.jsonl"
                aria-label="Output files"
                onChange={(e) => pick(e.target.files)}
              />
            </label>
            {files.length > 0 && (
              <small>
                {files.length} files chosen ·{' '}
                <button type="button" className="link" onClick={() => setFiles([])}>
                  clear
                </button>
              </small>
            )}
          </>
        )}
        {plan && <OutputsSummary report={plan} />}
        {unmatched.length > 0 && (
          <fieldset className="outputs-map">
            <legend>These names match no character: which is each?</legend>
            {unmatched.map((u) => (
              <label key={u.short}>
                <code>{u.short}</code> ({u.files.length === 1 ? '1 file' : `${u.files.length} files`})
                <select
                  aria-label={`Character for ${u.short}`}
                  value={map[u.short] ?? SKIP}
                  onChange={(e) => setMap({ ...map, [u.short]: e.target.value })}
                >
                  <option value={SKIP}>Leave out</option>
                  {characters.data?.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.fullName}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </fieldset>
        )}
        <DialogFooter
          error={error}
          onClose={onClose}
          submitLabel={plan ? 'Import' : 'Look at the files'}
          pendingLabel={plan ? 'Importing…' : 'Reading…'}
          pending={pending}
          disabled={
            plan
              ? plan.systems.length === 0 && !Object.values(map).some((v) => v !== SKIP)
              : files.length === 0 && !path.trim()
          }
        />
      </form>
    </Modal>
  );
}

function OutputsSummary({ report }: { report: OutputsImportReport }) {
  return (
    <div className="outputs-summary">
      {report.systems.length === 0 ? (
        <p>{report.dryRun ? 'Nothing to import yet.' : 'Nothing was imported.'}</p>
      ) : (
        <ul>
          {report.systems.map((s) => (
            <li key={s.systemId}>
              <strong>
                {s.short} · {s.system}
              </strong>
              : {s.single} single-turn answers, {s.multi} multi-turn interviews
              {s.thoughtRounds > 0 && `, ${s.thoughtRounds} rounds with thoughts (${s.thoughtOnlyRounds} thought only)`}
              {s.nonstop > 0 && `, ${s.nonstop} cut at the token limit`}
            </li>
          ))}
        </ul>
      )}
      {report.oddLabels.length > 0 && (
        <details>
          <summary>{report.oddLabels.length} odd action labels, read as said</summary>
          <ul>
            {report.oddLabels.slice(0, 50).map((o, i) => (
              <li key={i}>
                <code>{o.file}</code>, line {o.line}: <code>{o.label}</code> read as {o.readAs}
              </li>
            ))}
          </ul>
        </details>
      )}
      {report.notices
        .filter((n) => !n.startsWith('Not imported'))
        .map((n) => (
          <p key={n} className="muted">
            {n}
          </p>
        ))}
    </div>
  );
}
