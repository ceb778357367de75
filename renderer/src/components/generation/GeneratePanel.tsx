import { useMemo, useState } from 'react';
import type { Character, Provider } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import {
  queryClient,
  storeJob,
  useCommand,
  useEstimate,
  useGenerationDefaults,
  useGenerationPreferences,
  useJobs,
  useProviders,
} from '../../lib/queries';
import { useUi, type GenerationDraft } from '../../state/ui';
import { EstimatePanel } from './EstimatePanel';
import { formatUsd } from '../../lib/format';
import { ACTIVE } from './job-labels';
import { ConfirmThreshold, MoreScenes } from './RunConfirm';
import { JobsSection } from './JobsSection';
import { LimitsEditor } from './LimitsEditor';
import { PromptsPanel } from './PromptsPanel';
import { PresetRules } from './PresetRules';
import { defaultProviderId, fieldText, readSettings, type Defaults, type Field } from './settings-form';
import { NumberField, useDebounced } from '../form-fields';
import '../../generation.css';

const EMPTY_DRAFT: GenerationDraft = {};

/** The Generate tab: runs so far, then the settings, estimate and inputs of a new run. */
export function GeneratePanel({ character }: { character: Character }) {
  const defaults = useGenerationDefaults(character.id);
  const providers = useProviders();
  const jobs = useJobs(character.id);
  const draftProvider = useUi((s) => s.generationDrafts[character.id]?.providerId);

  if (defaults.isError) return <p className="form-error">{defaults.error.message}</p>;
  if (providers.isError) return <p className="form-error">{providers.error.message}</p>;
  if (defaults.isPending || providers.isPending || jobs.isPending) return <p className="muted">Loading…</p>;

  return (
    <div className="generate">
      <JobsSection character={character} />
      <NewRun character={character} defaults={defaults.data} providers={providers.data} />
      <LimitsEditor
        character={character}
        providerId={
          draftProvider || defaultProviderId(providers.data, jobs.data?.[0]?.settings.providerId ?? null) || null
        }
      />
      <PromptsPanel character={character} />
    </div>
  );
}

function NewRun({
  character,
  defaults,
  providers,
}: {
  character: Character;
  defaults: Defaults;
  providers: Provider[];
}) {
  const draft = useUi((s) => s.generationDrafts[character.id]) ?? EMPTY_DRAFT;
  const setDraft = useUi((s) => s.setGenerationDraft);
  const openSettings = useUi((s) => s.openSettings);
  const jobs = useJobs(character.id).data ?? [];
  const start = useCommand('generation/start', { quiet: true });
  const [startError, setStartError] = useState<string | null>(null);
  const [moreText, setMoreText] = useState('50');
  const lastUsed = jobs[0]?.settings.providerId ?? null;
  const providerId = defaultProviderId(providers, lastUsed);
  const { settings, errors } = useMemo(() => readSettings(draft, defaults, providerId), [draft, defaults, providerId]);
  const debounced = useDebounced(settings, 400);
  const toTarget = useEstimate(character.id, debounced);
  // When the target is met, the run on offer is "N more": estimate that one instead.
  const targetMet = toTarget.data?.hasWork === false;
  const more = Number(moreText);
  const moreValid = Number.isInteger(more) && more >= 1 && more <= 20_000;
  const moreEstimate = useEstimate(character.id, targetMet && moreValid ? debounced : null, more);
  const estimate = targetMet ? moreEstimate : toTarget;
  const threshold = useGenerationPreferences().data?.confirmAboveUsd ?? 1;
  const provider = providers.find((p) => p.id === settings?.providerId) ?? null;
  // Only a generation run blocks another; regenerations of single scenes run beside it.
  const active = jobs.find((j) => j.kind === 'generation' && ACTIVE.includes(j.status));

  const text = (field: Field) => fieldText(field, draft, defaults, providerId);
  const paper = text('preset') === 'paper';
  const set = (field: Field, value: string) => setDraft(character.id, { ...draft, [field]: value });
  // What every number field of the form reads and writes.
  const form = { text, set, errors };

  const onStart = async () => {
    if (!settings || (targetMet && !moreValid)) return;
    const cost = estimate.data?.costUsd ?? null;
    if (
      cost !== null &&
      cost > threshold &&
      !window.confirm(
        `This run is estimated at ${formatUsd(cost)}, above ${formatUsd(threshold)} (the cost that asks first). Start it?`,
      )
    )
      return;
    setStartError(null);
    try {
      const job = await start.mutateAsync({
        characterId: character.id,
        settings,
        ...(targetMet && { more }),
      });
      storeJob(job);
      // The form then opens with this run's settings: wait for them (storeJob asked for them) before
      // letting go of what was typed, or it shows the older values meanwhile.
      await queryClient.invalidateQueries(
        { queryKey: ['generation/defaults', { characterId: character.id }] },
        { cancelRefetch: false },
      );
      setDraft(character.id, {});
    } catch (e) {
      setStartError(messageOf(e));
    }
  };

  if (providers.length === 0) {
    return (
      <section className="card new-run" aria-labelledby="new-run-title">
        <h2 id="new-run-title">New run</h2>
        <div className="empty small">
          <h3>Add a provider first</h3>
          <p>
            Scenes and experiences are written by an LLM: a model file on this machine, a local server such as Ollama or
            LM Studio, or a hosted API.
          </p>
          <button className="primary" onClick={() => openSettings(true)}>
            Open provider settings
          </button>
        </div>
      </section>
    );
  }

  return (
    <section className="card new-run" aria-labelledby="new-run-title">
      <div className="card-head">
        <h2 id="new-run-title">New run</h2>
        <span className="muted">
          From {character.chunkCount} profile chunks · {character.wordCount.toLocaleString()} words
        </span>
      </div>
      <div className="new-run-grid">
        <div className="settings-form" role="group" aria-label="Generation settings">
          <label className="span-2">
            Provider
            <span className="with-link">
              <select value={text('providerId')} onChange={(e) => set('providerId', e.target.value)}>
                {providers.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name} — {p.model || p.modelPath}
                  </option>
                ))}
              </select>
              <button type="button" className="link small" onClick={() => openSettings(true)}>
                Manage providers
              </button>
            </span>
          </label>
          <label className="span-2">
            Plan
            <select value={text('preset')} onChange={(e) => set('preset', e.target.value)}>
              <option value="studio">Studio: exactly the target number of scenes</option>
              <option value="paper">The paper&apos;s runs (Character-LLM): 100 calls of 20 scenes</option>
            </select>
            <small>
              {paper
                ? 'Reproduces the paper’s generation numbers; the scene count is what the answers hold.'
                : 'Scene calls weighted by chunk length, topped up until the target is met.'}
            </small>
          </label>
          {paper ? (
            <PresetRules plan={estimate.data?.plan ?? null} />
          ) : (
            <>
              <NumberField label="Target scenes" field="targetScenes" {...form} min={1} step={1}>
                Scenes imagined from the profile. The paper made about 1,500 per character.
              </NumberField>
              <NumberField label="Scenes per call" field="scenesPerCall" {...form} min={1} step={1}>
                More per call is cheaper; fewer gives the model room for detail.
              </NumberField>
              <NumberField label="Protective share (%)" field="protectiveShare" {...form} min={0} max={20} step={0.5}>
                Scenes where {character.shortName} is asked about what they cannot know. The paper used 1–5%.
              </NumberField>
            </>
          )}
          <NumberField label="Budget ($)" field="budgetUsd" {...form} min={0} step={0.5} optional>
            The run pauses when it has spent this much. Empty: no limit.
          </NumberField>
          <ConfirmThreshold key={threshold} value={threshold} />
          <details className="more-settings span-2">
            <summary>Sampling and duplicates</summary>
            <div className="settings-form inner">
              <NumberField label="Temperature" field="temperature" {...form} min={0} max={2} step={0.1}>
                Higher is more varied.
              </NumberField>
              <NumberField label="Top-p" field="topP" {...form} min={0} max={1} step={0.05}>
                Nucleus sampling; 1 keeps every token.
              </NumberField>
              <NumberField label="Max tokens" field="maxTokens" {...form} min={16} step={64}>
                Longest answer per call; a cut-off experience is flagged, not kept as complete.
              </NumberField>
              <NumberField label="Duplicate threshold" field="dedupeThreshold" {...form} min={0} max={1} step={0.05}>
                Scenes more alike than this (0–1, word overlap) are dropped as near duplicates.
              </NumberField>
            </div>
          </details>
        </div>
        <div className="new-run-side">
          <EstimatePanel
            estimate={estimate.data ?? null}
            error={estimate.isError ? messageOf(estimate.error) : null}
            loading={estimate.isFetching || settings !== debounced}
            invalid={settings === null}
            provider={provider}
          />
          {targetMet && toTarget.data && (
            <MoreScenes
              character={character}
              existing={toTarget.data.existingScenes}
              text={moreText}
              valid={moreValid}
              onChange={setMoreText}
            />
          )}
          {startError && (
            <p className="form-error" role="alert">
              {startError}
            </p>
          )}
          <button
            className="primary start"
            disabled={
              !settings ||
              Boolean(active) ||
              start.isPending ||
              character.chunkCount === 0 ||
              !toTarget.data ||
              (targetMet && !moreValid)
            }
            onClick={() => void onStart()}
          >
            {start.isPending
              ? 'Starting…'
              : targetMet
                ? `Generate ${moreValid ? more.toLocaleString('en-US') : 'N'} more`
                : 'Start generation'}
          </button>
          <p className="muted start-hint">
            {character.chunkCount === 0
              ? 'Add a profile first: scenes are imagined from its chunks.'
              : active
                ? 'A run is still open above: let it finish, or cancel it, before starting another.'
                : toTarget.data && toTarget.data.existingScenes > 0 && !targetMet
                  ? `${character.shortName} has ${toTarget.data.existingScenes.toLocaleString('en-US')} normal scenes (protective ones aside); the target counts them, so this run makes the rest. It runs in the background and resumes after a pause or quit.`
                  : 'Runs in the background: you can pause, cancel or quit the app at any moment and resume later.'}
          </p>
        </div>
      </div>
    </section>
  );
}
