import { useState } from 'react';
import type { Character, PromptTemplate } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { queryClient, useCommand, usePrompts } from '../../lib/queries';
import { STAGE_LABEL } from './job-labels';

/** The prompts each stage sends, per character: read, edit into a custom version, reset to built-in. */
export function PromptsPanel({ character }: { character: Character }) {
  const prompts = usePrompts(character.id);
  return (
    <details className="card prompts">
      <summary>
        <h2>Prompts</h2>
        <span className="muted">
          What each stage asks the LLM. Edits make a new version for {character.shortName}; every scene records the
          version that made it.
        </span>
      </summary>
      {prompts.isPending ? (
        <p className="muted">Loading…</p>
      ) : prompts.isError ? (
        <p className="form-error">{prompts.error.message}</p>
      ) : (
        <ul className="prompt-list">
          {prompts.data.map((p) => (
            <PromptItem key={p.stage} character={character} prompt={p} />
          ))}
        </ul>
      )}
    </details>
  );
}

function PromptItem({ character, prompt }: { character: Character; prompt: PromptTemplate }) {
  const [editing, setEditing] = useState(false);
  const [system, setSystem] = useState(prompt.system);
  const [template, setTemplate] = useState(prompt.template);
  const [error, setError] = useState<string | null>(null);
  const save = useCommand('prompts/save', { quiet: true });
  const key = ['prompts/list', { characterId: character.id }];

  const run = async (arg: Parameters<typeof save.mutateAsync>[0]) => {
    setError(null);
    try {
      queryClient.setQueryData(key, await save.mutateAsync(arg));
      setEditing(false);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <li className="prompt-item">
      <div className="prompt-head">
        <h3>{STAGE_LABEL[prompt.stage]}</h3>
        <span className={prompt.custom ? 'badge ok' : 'badge'}>{prompt.custom ? 'custom' : 'built-in'}</span>
        <code className="muted">{prompt.version}</code>
        <span className="spacer" />
        {!editing && (
          <button
            className="small"
            onClick={() => {
              setSystem(prompt.system);
              setTemplate(prompt.template);
              setEditing(true);
            }}
          >
            Edit
          </button>
        )}
        {prompt.custom && !editing && (
          <button
            className="small"
            disabled={save.isPending}
            onClick={() => {
              if (window.confirm(`Go back to the built-in ${STAGE_LABEL[prompt.stage].toLowerCase()} prompt?`))
                void run({ characterId: character.id, stage: prompt.stage, reset: true });
            }}
          >
            Reset to built-in
          </button>
        )}
      </div>
      {editing ? (
        <div className="form prompt-form">
          <label>
            System message
            <textarea rows={4} value={system} onChange={(e) => setSystem(e.target.value)} />
          </label>
          <label>
            Template
            <textarea rows={12} value={template} onChange={(e) => setTemplate(e.target.value)} />
            <small>
              Placeholders:{' '}
              {prompt.placeholders.map((p, i) => (
                <span key={p}>
                  {i > 0 && ' '}
                  <code>{p}</code>
                </span>
              ))}
            </small>
          </label>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <div className="actions">
            <button className="small" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button
              className="small primary"
              disabled={save.isPending || (system === prompt.system && template === prompt.template)}
              onClick={() => void run({ characterId: character.id, stage: prompt.stage, system, template })}
            >
              Save as new version
            </button>
          </div>
        </div>
      ) : (
        <pre className="prompt-preview">{prompt.template}</pre>
      )}
    </li>
  );
}
