import { useCallback, useState, type FormEvent } from 'react';
import { MODEL_CHECK_TEXT } from '../../../../common/model-check-text';
import type { CatalogModel, LocalModel } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { useCommand, useModels, useProviders, useStudioEvent } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { SettingsSection } from './SettingsSection';

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
  const [progress, setProgress] = useState<Record<string, number>>({});
  useStudioEvent(
    'models/progressed',
    useCallback((p) => setProgress((all) => ({ ...all, [p.id]: p.downloadedBytes / Math.max(1, p.totalBytes) })), []),
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

function CatalogRow({
  model,
  progress,
}: {
  model: CatalogModel & { installed: LocalModel | null };
  progress?: number;
}) {
  const download = useCommand('models/download', { quiet: true });
  const [error, setError] = useState<string | null>(null);
  return (
    <li className="model-row" aria-label={`Model ${model.name}`}>
      <div className="model-facts">
        <strong>{model.name}</strong>
        <span className="muted">
          ~{size(model.sizeBytes)} · {model.licence} ·{' '}
          <a href={model.url} target="_blank" rel="noreferrer">
            file
          </a>
        </span>
        <span>{model.goodFor}</span>
        {error && <span className="form-error">{error}</span>}
      </div>
      {model.installed ? (
        <span className="pill">Downloaded</span>
      ) : download.isPending ? (
        <progress max={1} value={progress ?? 0} aria-label={`Downloading ${model.name}`} />
      ) : (
        <button
          onClick={() => {
            setError(null);
            download.mutate({ id: model.id }, { onError: (e) => setError(messageOf(e)) });
          }}
        >
          Download
        </button>
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
