import { useState } from 'react';
import type { Character, ProviderId } from '../../../../common/contract';
import { queryClient, useCommand, useLimits } from '../../lib/queries';
import { useUi } from '../../state/ui';

/**
 * "Things {short name} cannot know": the knowledge limits protective scenes press on. An empty list
 * is generated from the character's era at the start of the run; the user may write or edit it.
 */
export function LimitsEditor({ character, providerId }: { character: Character; providerId: string | null }) {
  const limits = useLimits(character.id);
  const save = useCommand('limits/save');
  const generate = useCommand('limits/generate');
  const toast = useUi((s) => s.toast);
  // null: showing what is saved; a list: the user's unsaved edit.
  const [draft, setDraft] = useState<string[] | null>(null);
  const saved = limits.data ?? [];
  const lines = draft ?? saved.map((l) => l.text);
  const dirty = draft !== null;

  const edit = (index: number, text: string) => setDraft(lines.map((l, i) => (i === index ? text : l)));
  const onSave = () => {
    const clean = lines.map((l) => l.trim()).filter((l) => l !== '');
    save.mutate(
      { characterId: character.id, limits: clean },
      {
        onSuccess: (list) => {
          queryClient.setQueryData(['limits/list', { characterId: character.id }], list);
          setDraft(null);
          toast({
            kind: 'info',
            text: `Saved ${list.length} thing${list.length === 1 ? '' : 's'} ${character.shortName} cannot know.`,
          });
        },
      },
    );
  };

  const onGenerate = () => {
    if (!providerId) return;
    if (saved.length > 0 && !window.confirm(`Replace the ${saved.length} saved lines with a newly generated list?`))
      return;
    generate.mutate(
      { characterId: character.id, providerId: providerId as ProviderId },
      {
        onSuccess: (list) => {
          queryClient.setQueryData(['limits/list', { characterId: character.id }], list);
          setDraft(null);
        },
      },
    );
  };

  return (
    <section className="card limits" aria-labelledby="limits-title">
      <div className="card-head">
        <div>
          <h2 id="limits-title">Things {character.shortName} cannot know</h2>
          <p className="muted">
            Protective scenes press {character.shortName} on these, and the model learns to answer “I don&apos;t know”
            in character.{' '}
            {saved.length === 0 && !dirty
              ? 'Generate a list now to review it, or leave it empty and the studio writes one at the start of the run.'
              : 'One per line: an invention, event or idea from after their time, or outside their world.'}
          </p>
        </div>
      </div>
      {limits.isError && <p className="form-error">{limits.error.message}</p>}
      {lines.length > 0 && (
        <ul className="limit-lines">
          {lines.map((line, index) => {
            const source = dirty ? null : saved[index]?.source;
            return (
              <li key={index}>
                <input
                  aria-label={`Limit ${index + 1}`}
                  value={line}
                  placeholder="e.g. the telephone, recorded music, the Second World War"
                  onChange={(e) => edit(index, e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') setDraft([...lines.slice(0, index + 1), '', ...lines.slice(index + 1)]);
                  }}
                />
                <span className="badge-slot">
                  {source && (
                    <span className={`badge ${source === 'user' ? 'ok' : ''}`}>
                      {source === 'user' ? 'yours' : 'generated'}
                    </span>
                  )}
                </span>
                <button
                  className="icon"
                  aria-label={`Remove limit ${index + 1}`}
                  onClick={() => setDraft(lines.filter((_, i) => i !== index))}
                >
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <div className="actions left">
        <button className="small" onClick={() => setDraft([...lines, ''])}>
          + Add a line
        </button>
        <button
          className="small"
          onClick={onGenerate}
          disabled={!providerId || generate.isPending || dirty}
          title={
            providerId ? 'Asks the run’s provider for a list from the era and the profile.' : 'Add a provider first.'
          }
        >
          {generate.isPending ? 'Generating…' : 'Generate a list'}
        </button>
        <span className="spacer" />
        {dirty && (
          <>
            <button className="small" onClick={() => setDraft(null)}>
              Discard changes
            </button>
            <button className="small primary" onClick={onSave} disabled={save.isPending}>
              Save list
            </button>
          </>
        )}
      </div>
    </section>
  );
}
