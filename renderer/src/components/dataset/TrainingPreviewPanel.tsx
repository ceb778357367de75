import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import type {
  Character,
  PreviewToken,
  SceneId,
  TrainingFormat,
  TrainingPreview,
  TrainingPreviewRequest,
} from '../../../../common/contract';
import { CommandError } from '../../lib/bridge-error';
import { invoke, useTrainingRuns } from '../../lib/queries';
import { usePreviewSettings, type PreviewSettings } from '../../state/preview';
import { PythonSetup } from '../training/PythonSetup';
import { useRevisionNumbering } from './revision-numbers';
import '../../training-preview.css';

/**
 * A saved scene exactly as training takes it: the trainer's own rendering and loss mask (the
 * `training/preview` command), for one base model's tokenizer, a format and a maximum length.
 * It runs on request, not on every keystroke (the first preview waits seconds for the trainer's
 * Python to start; the studio keeps it warm, so later ones take a fraction of a second); a later
 * revision of the scene is previewed anew.
 */
export function TrainingPreviewPanel({
  sceneId,
  revision,
  dirty,
  character,
}: {
  sceneId: SceneId;
  /** The saved revision the preview is of; a change (a save) runs the preview again. */
  revision: number;
  /** Unsaved edits in the editor: said, since the preview shows the saved revision. */
  dirty: boolean;
  character: Character;
}) {
  const runs = useTrainingRuns(character.id);
  // Revisions are named as the History numbers them (a generated scene's stored counter is one more).
  const numbering = useRevisionNumbering(sceneId, revision);
  const shown = (stored: number) => (numbering ? numbering(stored) : stored);
  const cached = useQuery({
    queryKey: ['training/cached-models', {}],
    queryFn: () => invoke('training/cached-models', {}),
    staleTime: 60_000,
  });
  const stored = usePreviewSettings((state) => state.settings[character.id]);
  const store = usePreviewSettings((state) => state.set);
  const latest = runs.data?.[0]?.config;
  const settings: PreviewSettings = stored ?? {
    baseModel: latest?.baseModel ?? cached.data?.models[0]?.id ?? '',
    format: latest?.format ?? 'chat',
    thinking: latest?.hyperparameters.thinking ?? 'keep',
    maxLength: String(latest?.hyperparameters.maxLength ?? 2048),
  };
  const update = (patch: Partial<PreviewSettings>) => store(character.id, { ...settings, ...patch });
  const shownBefore = usePreviewSettings((state) => state.shown[character.id] === true);
  const markShown = usePreviewSettings((state) => state.markShown);
  // Asked for before (another scene, the detail before the editor): shown at once, as then.
  const [asked, setAsked] = useState<TrainingPreviewRequest | null>(() => {
    const request = shownBefore ? requestOf(sceneId, settings) : null;
    return typeof request === 'string' ? null : request;
  });
  const [formError, setFormError] = useState<string | null>(null);

  const preview = useQuery({
    queryKey: ['training/preview', { ...asked, revision }],
    queryFn: () => invoke('training/preview', asked!),
    enabled: asked !== null,
    retry: false,
    staleTime: 5 * 60_000,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const request = requestOf(sceneId, settings);
    if (typeof request === 'string') return setFormError(request);
    setFormError(null);
    setAsked(request);
    markShown(character.id);
  };

  return (
    <section className="training-preview" aria-label="Training preview">
      <form className="preview-settings" onSubmit={submit}>
        <label className="preview-model">
          <span>Base model</span>
          <input
            aria-label="Base model"
            list="preview-cached-models"
            placeholder="/path/to/model folder, or a cached hub id"
            value={settings.baseModel}
            onChange={(e) => update({ baseModel: e.currentTarget.value })}
          />
          <datalist id="preview-cached-models">
            {cached.data?.models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.weights ? 'cached' : 'tokenizer cached (no weights)'}
              </option>
            ))}
          </datalist>
        </label>
        <label>
          <span>Format</span>
          <select
            aria-label="Format"
            value={settings.format}
            onChange={(e) => update({ format: e.currentTarget.value as TrainingFormat })}
          >
            <option value="chat">chat (the model&apos;s template)</option>
            <option value="character-llm">character-llm (the paper)</option>
          </select>
        </label>
        {settings.format === 'chat' && (
          <label>
            <span>Thinking</span>
            <select
              aria-label="Thinking"
              value={settings.thinking}
              onChange={(e) => update({ thinking: e.currentTarget.value as 'keep' | 'drop' })}
            >
              <option value="keep">kept</option>
              <option value="drop">dropped</option>
            </select>
          </label>
        )}
        <label className="preview-length">
          <span>Max length</span>
          <input
            aria-label="Max length"
            inputMode="numeric"
            value={settings.maxLength}
            onChange={(e) => update({ maxLength: e.currentTarget.value })}
          />
        </label>
        <button className="primary small" type="submit" disabled={preview.isFetching}>
          {preview.isFetching ? 'Rendering…' : 'Show'}
        </button>
      </form>
      <p
        className="muted preview-about"
        title={cached.data ? `Hugging Face cache: ${cached.data.cacheDir}` : undefined}
      >
        What a run trains on, token by token, rendered by the trainer&apos;s own code (tokenizer only). Hub ids come
        from the local Hugging Face cache; nothing is downloaded.
      </p>
      {formError && <p className="form-error">{formError}</p>}
      {dirty && (
        <p className="preview-note" role="status">
          Unsaved edits are not in the preview: it shows the saved revision {shown(revision)}.
        </p>
      )}
      {preview.isError && <PreviewError error={preview.error} />}
      {preview.data && <PreviewResult preview={preview.data} revision={shown(preview.data.revision)} />}
    </section>
  );
}

/** The request the settings make for a scene, or what is wrong with them. */
function requestOf(sceneId: SceneId, settings: PreviewSettings): TrainingPreviewRequest | string {
  const maxLength = Number(settings.maxLength);
  if (!settings.baseModel.trim()) return 'Choose a base model: a model folder or a cached hub id.';
  if (!Number.isInteger(maxLength) || maxLength < 16) return 'Max length is a whole number of tokens, at least 16.';
  const { format, thinking } = settings;
  return { sceneId, baseModel: settings.baseModel.trim(), format, maxLength, thinking };
}

function PreviewError({ error }: { error: Error }) {
  const needsPython = error instanceof CommandError && error.code === 'unavailable' && /Python/.test(error.message);
  return (
    <div className="preview-error" role="alert">
      <p className="form-error">{error.message}</p>
      {needsPython && <PythonSetup />}
    </div>
  );
}

function PreviewResult({ preview, revision }: { preview: TrainingPreview; revision: number }) {
  const { tokens, cutAt } = preview;
  return (
    <>
      <p className="preview-counts" aria-label="Preview counts">
        <strong>{tokens.length.toLocaleString()}</strong> tokens ·{' '}
        <strong>{preview.trainedTokens.toLocaleString()}</strong> trained ·{' '}
        {cutAt === null
          ? `fits in ${preview.maxLength.toLocaleString()}`
          : `cut at ${cutAt.toLocaleString()}: ${(tokens.length - cutAt).toLocaleString()} tokens are not trained on`}{' '}
        <span className="muted">
          · revision {revision} · {preview.format}
        </span>
      </p>
      {preview.excluded && (
        <p className="preview-excluded" role="alert">
          {preview.excluded}
        </p>
      )}
      {preview.notes.map((note) => (
        <p key={note} className="preview-note">
          {note}
        </p>
      ))}
      <p className="preview-legend" aria-label="Legend">
        <span>
          <span className="tok trained">trained</span> carries loss
        </span>
        <span>
          <span className="tok">context</span> no loss
        </span>
        <span>
          <span className="tok added">added</span> by the tokenizer
        </span>
        <span>
          <span className="ws-sample">·</span> space <span className="ws-sample">↵</span> newline
        </span>
        <span>
          <span className="cut-sample">✂</span> max length
        </span>
      </p>
      <div className="preview-tokens" aria-label="Tokens">
        {tokens.map((token, i) => (
          <TokenChip key={i} token={token} index={i} cutAt={cutAt} maxLength={preview.maxLength} />
        ))}
      </div>
    </>
  );
}

/** One token: its text with spaces, tabs and newlines made visible; a newline also breaks the line. */
function TokenChip({
  token,
  index,
  cutAt,
  maxLength,
}: {
  token: PreviewToken;
  index: number;
  cutAt: number | null;
  maxLength: number;
}) {
  const beyond = cutAt !== null && index >= cutAt;
  // Every other token a shade darker, so neighbours stay apart without gaps in the text.
  const classes = [
    'tok',
    index % 2 === 1 && 'alt',
    token.trained && !beyond && 'trained',
    token.added && 'added',
    beyond && 'beyond',
  ];
  const parts: ReactNode[] = [];
  let breaks = 0;
  for (const [i, ch] of [...token.piece].entries()) {
    if (ch === '\n') {
      parts.push(
        <span key={i} className="ws">
          ↵
        </span>,
      );
      breaks++;
    } else if (ch === ' ' || ch === '\t') {
      parts.push(
        <span key={i} className="ws">
          {ch === ' ' ? '·' : '→'}
        </span>,
      );
    } else parts.push(ch);
  }
  const title = `#${index} · id ${token.id} · ${beyond ? 'cut away' : token.trained ? 'trained' : 'no loss'}${token.added ? ' · added by the tokenizer' : ''}`;
  return (
    <>
      {index === cutAt && (
        <span className="cut-marker" role="separator" aria-label={`cut here by max length ${maxLength}`}>
          ✂ max length {maxLength.toLocaleString()}: the rest is not trained on
        </span>
      )}
      <span className={classes.filter(Boolean).join(' ')} title={title}>
        {token.piece === '' ? <span className="ws">∅</span> : parts}
      </span>
      {/* Lines wrap between tokens; within one only when a token alone is wider than the panel. */}
      <wbr />
      {Array.from({ length: breaks }, (_, i) => (
        <br key={i} />
      ))}
    </>
  );
}
