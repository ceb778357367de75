import { useCallback, useRef, useState, type FormEvent } from 'react';
import { catalogCheckText, MODEL_CHECK_TEXT } from '../../../../common/model-check-text';
import type { CatalogEntryView, LocalModel } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { useCommand, useModels, useProviders, useStudioEvent } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { SettingsSection } from './SettingsSection';

/** Bytes done and total of a running download, from `models/progressed`. */
interface Progress {
  downloadedBytes: number;
  totalBytes: number;
}

function size(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}

/**
 * Settings › Models: small instruct GGUFs to download for the embedded runtime, the model files on
 * this computer, and a .gguf added by its path. A local model becomes usable for generation and
 * chat as an embedded provider, made here in one click.
 */
export function ModelsPanel() {
  const models = useModels();
  const [progress, setProgress] = useState<Record<string, Progress>>({});
  useStudioEvent(
    'models/progressed',
    useCallback((p) => setProgress((all) => ({ ...all, [p.id]: p })), []),
  );
  return (
    <SettingsSection
      title="Models"
      description="Small models that run inside the studio, offline, for generation and chat: download one from the list, or add a .gguf file you already have."
    >
      {models.isPending ? (
        <p className="muted">Loading…</p>
      ) : models.isError ? (
        <p className="form-error">{models.error.message}</p>
      ) : (
        <>
          {models.data.offline && (
            <p className="form-error" role="status">
              {models.data.offline}
            </p>
          )}
          <ul className="model-list" aria-label="Models to download">
            {models.data.catalog.map((m) => (
              <CatalogRow key={m.id} model={m} progress={progress[m.id]} />
            ))}
          </ul>
          <h4>On this computer</h4>
          {models.data.local.length === 0 ? (
            <p className="muted">No model yet. Downloads go to {models.data.dir}.</p>
          ) : (
            <ul className="model-list" aria-label="Local models">
              {models.data.local.map((m) => (
                <LocalRow key={m.id} model={m} />
              ))}
            </ul>
          )}
          <AddGguf />
        </>
      )}
    </SettingsSection>
  );
}

/**
 * One model of the list: Download (or Resume, when a stopped download kept pieces); while it runs,
 * the progress and Cancel, which keeps what was fetched; how the file will be checked.
 */
function CatalogRow({ model, progress }: { model: CatalogEntryView; progress?: Progress }) {
  const download = useCommand('models/download', { quiet: true });
  const cancel = useCommand('models/cancel', { quiet: true });
  const [error, setError] = useState<string | null>(null);
  // Set by Cancel: the download then ends in a failure, and the row's "stopped" line says what was kept.
  const cancelled = useRef(false);
  const running = download.isPending || model.downloading;
  const start = () => {
    setError(null);
    cancelled.current = false;
    cancel.reset();
    download.mutate({ id: model.id }, { onError: (e) => setError(cancelled.current ? null : messageOf(e)) });
  };
  const stop = () => {
    cancelled.current = true;
    cancel.mutate({ id: model.id });
  };
  return (
    <li className="model-row" aria-label={`Model ${model.name}`}>
      <div className="model-facts">
        <strong>{model.name}</strong>
        <span className="muted">
          {model.sha256 ? '' : '~'}
          {size(model.sizeBytes)} · {model.licence} ·{' '}
          <a href={model.url} target="_blank" rel="noreferrer">
            file
          </a>
        </span>
        <span>{model.goodFor}</span>
        <span className="muted">{catalogCheckText(model)}</span>
        {running && progress && (
          <span className="muted">
            {size(progress.downloadedBytes)} of {size(progress.totalBytes)}
          </span>
        )}
        {!running && model.partial && (
          <span role="status">
            Stopped at {size(model.partial.downloadedBytes)} of {size(model.partial.totalBytes)}: what was fetched is
            kept, and Resume continues from there.
          </span>
        )}
        {error && <span className="form-error">{error}</span>}
      </div>
      {model.installed ? (
        <span className="pill">Downloaded</span>
      ) : running ? (
        <div className="row-actions">
          <progress
            max={1}
            value={progress ? progress.downloadedBytes / Math.max(1, progress.totalBytes) : 0}
            aria-label={`Downloading ${model.name}`}
          />
          <button disabled={cancel.isPending} onClick={stop}>
            {cancel.isPending ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
      ) : (
        <button onClick={start}>{model.partial ? 'Resume download' : 'Download'}</button>
      )}
    </li>
  );
}

function LocalRow({ model }: { model: LocalModel }) {
  const providers = useProviders();
  const create = useCommand('providers/create');
  const remove = useCommand('models/remove');
  const toast = useUi((s) => s.toast);
  const used = providers.data?.some((p) => p.modelPath === model.path) ?? false;
  const use = () =>
    create.mutate(
      {
        name: model.name,
        preset: 'embedded',
        baseUrl: '',
        model: model.name,
        modelPath: model.path,
        maxConcurrency: 1,
        requestsPerMinute: 0,
        timeoutMs: 600_000,
        structuredOutput: true,
      },
      { onSuccess: () => toast({ kind: 'info', text: `${model.name} is now a provider for generation and chat.` }) },
    );
  return (
    <li className="model-row" aria-label={`Local model ${model.name}`}>
      <div className="model-facts">
        <strong>{model.name}</strong>
        <span className="muted">
          {model.architecture} · {size(model.sizeBytes)} · {MODEL_CHECK_TEXT[model.check]}
        </span>
        <code>{model.path}</code>
      </div>
      <div className="row-actions">
        {used ? (
          <span className="pill">In use</span>
        ) : (
          <button className="primary" disabled={create.isPending} onClick={use}>
            Use for generation and chat
          </button>
        )}
        <button className="danger" onClick={() => remove.mutate({ id: model.id })}>
          Remove
        </button>
      </div>
    </li>
  );
}

function AddGguf() {
  const add = useCommand('models/add', { quiet: true });
  const [file, setFile] = useState('');
  const [error, setError] = useState<string | null>(null);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    add.mutate({ path: file.trim() }, { onSuccess: () => setFile(''), onError: (e) => setError(messageOf(e)) });
  };
  return (
    <form className="add-gguf" onSubmit={onSubmit} aria-label="Add a .gguf file">
      <label>
        Add a .gguf file <span className="optional">(its full path on the studio’s computer)</span>
        <input value={file} placeholder="/home/me/models/model.Q4_K_M.gguf" onChange={(e) => setFile(e.target.value)} />
      </label>
      <button type="submit" disabled={file.trim() === '' || add.isPending}>
        Add
      </button>
      {error && <p className="form-error">{error}</p>}
    </form>
  );
}
