import { useRef, useState } from 'react';
import type { Character, ProviderId, QuestionSet, QuestionSetId } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { useQuestionSets } from '../../lib/eval-queries';
import { invoke, useProviders } from '../../lib/queries';
import { counted } from '../../../../common/plural';
import { useUi } from '../../state/ui';
import { NewSetDialog } from './NewSetDialog';
import { SetEditor } from './SetEditor';
import { EvalForm, FormError, ProviderSelect } from './eval-form';

/**
 * Question sets of the character: the list (import the paper's files, generate from the profile,
 * start one by hand) beside the selected set's editor.
 */
export function QuestionSetsView({ character }: { character: Character }) {
  const sets = useQuestionSets(character.id);
  const [selected, setSelected] = useState<QuestionSetId | null>(null);
  const [generating, setGenerating] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toast = useUi((s) => s.toast);
  const file = useRef<HTMLInputElement>(null);
  const list = sets.data ?? [];
  const current = list.find((s) => s.id === selected) ?? list[0] ?? null;

  const importFiles = async (files: FileList | null) => {
    setError(null);
    for (const f of Array.from(files ?? [])) {
      try {
        const detail = await invoke('eval/questions/import', {
          characterId: character.id,
          fileName: f.name,
          content: await f.text(),
        });
        setSelected(detail.set.id);
        toast({
          kind: 'info',
          text: `Imported ${counted(detail.questions.length, 'question')} from ${f.name}.`,
        });
      } catch (e) {
        setError(messageOf(e));
      }
    }
    if (file.current) file.current.value = '';
  };
  const [naming, setNaming] = useState(false);

  // With no set yet there is nothing to edit: the list's column takes the whole width, so the
  // empty state sits centred under the actions as on the other tabs.
  const none = !sets.isPending && list.length === 0;
  return (
    <div className={none ? 'eval-sets none' : 'eval-sets'}>
      <aside className="eval-set-list" aria-label="Question sets">
        <div className="eval-set-actions">
          <button className="primary small" onClick={() => file.current?.click()}>
            Import file…
          </button>
          <button className="small" onClick={() => setGenerating((g) => !g)} aria-expanded={generating}>
            Generate…
          </button>
          <button className="small" onClick={() => setNaming(true)}>
            + New set
          </button>
          <input
            ref={file}
            type="file"
            accept=".json,.txt,application/json,text/plain"
            multiple
            hidden
            aria-label="Question file"
            onChange={(e) => void importFiles(e.target.files)}
          />
        </div>
        {generating && (
          <GenerateForm
            character={character}
            onDone={(id) => (setSelected(id), setGenerating(false), setError(null))}
          />
        )}
        {naming && <NewSetDialog character={character} onCreated={setSelected} onClose={() => setNaming(false)} />}
        <FormError error={error} />
        {sets.isPending ? (
          <p className="muted">Loading…</p>
        ) : list.length === 0 ? (
          <div className="empty small">
            <h3>No question sets yet</h3>
            <p>
              Import the paper&apos;s files (<code>generated_agent_interview_{character.shortName}.json</code> and its
              multi-turn goals) or a text file of questions one a line, generate questions from {character.shortName}
              &apos;s profile, or write your own.
            </p>
          </div>
        ) : (
          <ul className="eval-set-items">
            {list.map((s) => (
              <li key={s.id}>
                <button
                  className={s.id === current?.id ? 'eval-set selected' : 'eval-set'}
                  aria-current={s.id === current?.id}
                  onClick={() => setSelected(s.id)}
                >
                  <strong>{s.name}</strong>
                  <span className="muted">{describeCounts(s)}</span>
                  <span className="pill subtle">
                    {s.origin} · v{s.currentVersion}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </aside>
      {current ? <SetEditor key={current.id} set={current} /> : !none && <div />}
    </div>
  );
}

function describeCounts(s: QuestionSet): string {
  const parts = [];
  if (s.counts.single) parts.push(counted(s.counts.single, 'question'));
  if (s.counts.multi) parts.push(counted(s.counts.multi, 'goal'));
  return parts.join(' · ') || 'empty';
}

/** Questions from the profile: three topics, a number each, plus the five shared anachronism probes. */
function GenerateForm({ character, onDone }: { character: Character; onDone: (id: QuestionSetId) => void }) {
  const providers = useProviders().data ?? [];
  const [providerId, setProviderId] = useState<ProviderId | ''>('');
  const [perTopic, setPerTopic] = useState('10');
  const [goals, setGoals] = useState('5');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const chosen = providerId || providers[0]?.id;
  const submit = () => {
    if (!chosen) return;
    setBusy(true);
    setError(null);
    invoke('eval/questions/generate', {
      characterId: character.id,
      providerId: chosen,
      perTopic: Number(perTopic),
      goalsPerTopic: Number(goals),
    })
      .then((d) => onDone(d.set.id))
      .catch((e: unknown) => setError(messageOf(e)))
      .finally(() => setBusy(false));
  };
  return (
    <EvalForm className="card eval-generate" label="Generate questions" onSubmit={submit}>
      <ProviderSelect label="Provider" providers={providers} value={chosen} onChange={setProviderId} />
      <div className="eval-row numbers">
        <label className="field">
          <span>Questions per topic</span>
          <input type="number" min={0} max={100} value={perTopic} onChange={(e) => setPerTopic(e.target.value)} />
        </label>
        <label className="field">
          <span>Multi-turn goals per topic</span>
          <input type="number" min={0} max={100} value={goals} onChange={(e) => setGoals(e.target.value)} />
        </label>
      </div>
      <p className="muted small-print">
        Three topics from {character.shortName}&apos;s profile, plus the five anachronism probes every character is
        asked. One recorded call per topic and kind.
      </p>
      <FormError error={error} />
      <button className="primary" disabled={busy || !chosen}>
        {busy ? 'Writing questions…' : providers.length === 0 ? 'Add a provider in Settings first' : 'Generate'}
      </button>
    </EvalForm>
  );
}
