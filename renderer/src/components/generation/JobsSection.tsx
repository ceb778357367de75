import { useEffect, useRef, useState } from 'react';
import type { Character, Job, JobKindName, JobStatus, StageProgress } from '../../../../common/contract';
import { jobCostText, unpricedCallsNote } from '../../../../common/money';
import { orphanedJobMessage } from '../../../../common/orphaned-job';
import { storeJob, useCommand, useJobs, useProviders } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { CancelAndClose, EarlierWork, WorkMessage } from '../work-card';
import { failuresHeading } from './failures';
import { formatDuration, formatTime, formatTokens, formatUsd } from '../../lib/format';
import { ACTIVE, STAGE_LABEL, STATUS_LABEL } from './job-labels';

/**
 * The character's jobs of `kinds` (Generate: generation and regeneration; Evaluate: interviews): the
 * latest as a full card, earlier ones as rows that open into one.
 */
export function JobsSection({
  character,
  kinds = ['generation', 'regenerate'],
}: {
  character: Character;
  kinds?: readonly JobKindName[];
}) {
  const jobs = useJobs(character.id);
  const list = [...(jobs.data ?? [])].filter((j) => kinds.includes(j.kind)).sort((a, b) => b.createdAt - a.createdAt);
  const [current, ...earlier] = list;
  // A run started since the list was first drawn (from the form below, which the Start button has
  // scrolled into view) is brought into view: the page said only "A run is still open above".
  const section = useRef<HTMLElement>(null);
  const seen = useRef<string | null>(null);
  const currentId = current?.id ?? '';
  useEffect(() => {
    if (!jobs.isSuccess) return;
    if (seen.current !== null && currentId !== '' && currentId !== seen.current)
      section.current?.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
    seen.current = currentId;
  }, [jobs.isSuccess, currentId]);
  if (!current) return null;

  return (
    <section className="jobs" aria-label="Runs" ref={section}>
      <JobCard job={current} latest />
      <EarlierWork
        items={earlier}
        card={(job, close) => <JobCard job={job} latest={false} onClose={close} />}
        row={(job) => (
          <>
            <StatusBadge status={job.status} />
            {job.kind === 'regenerate' && <span className="pill subtle">Regeneration</span>}
            <span>{formatTime(job.createdAt)}</span>
            <span className="muted">
              {job.done.toLocaleString('en-US')} / {job.total.toLocaleString('en-US')} items
              {job.failed > 0 ? ` · ${job.failed} failed` : ''} · {jobCostText(job)}
            </span>
          </>
        )}
      />
    </section>
  );
}

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span className={`status status-${status}`}>{STATUS_LABEL[status]}</span>;
}

function JobCard({ job, latest, onClose }: { job: Job; latest: boolean; onClose?: () => void }) {
  const providerList = useProviders();
  const providers = providerList.data ?? [];
  const toast = useUi((s) => s.toast);
  const pause = useCommand('jobs/pause');
  const resume = useCommand('jobs/resume');
  const cancel = useCommand('jobs/cancel');
  const retry = useCommand('jobs/retry');
  const provider = providers.find((p) => p.id === job.settings.providerId);
  // Its provider deleted, a stopped job cannot go on: the card says what to do instead of Resume.
  const orphaned = providerList.isSuccess && !provider && job.settings.providerId !== null;
  const busy = pause.isPending || resume.isPending || cancel.isPending || retry.isPending;
  const active = ACTIVE.includes(job.status);
  const percent = job.total > 0 ? Math.round((job.done / job.total) * 100) : 0;
  const onDone = { onSuccess: storeJob };

  const regenerate = job.kind === 'regenerate';
  // Regenerations and interviews are named for what they do; a generation is "the run".
  const named = regenerate ? 'Regeneration' : job.kind === 'interview' ? 'Interviews' : null;
  const onCancel = () => {
    const question = regenerate
      ? 'Cancel this regeneration? Scenes already rewritten keep their new revision (undo it in History); the others stay as they are.'
      : 'Cancel this run? What it has made so far stays in the dataset; the rest is not generated.';
    if (!window.confirm(question)) return;
    cancel.mutate({ id: job.id }, onDone);
  };
  const onRetry = (itemId?: string) =>
    retry.mutate(itemId ? { id: job.id, itemId } : { id: job.id }, {
      onSuccess: (j) => {
        storeJob(j);
        toast({ kind: 'info', text: itemId ? 'The item is queued again.' : 'Failed items are queued again.' });
      },
    });

  return (
    <article
      className={`card job-card job-${job.status}`}
      aria-label={named ?? (latest ? 'Current run' : 'Run')}
      data-testid="job-card"
      data-kind={job.kind}
    >
      <header className="card-head">
        <div>
          <h2>
            {named ?? (latest ? (active ? 'Current run' : 'Last run') : 'Run')} <StatusBadge status={job.status} />
          </h2>
          <p className="muted">
            Started {formatTime(job.createdAt)}
            {provider
              ? ` · ${provider.name}, ${provider.model || provider.modelPath}`
              : job.settings.providerId === null
                ? ''
                : ' · provider deleted'}{' '}
            · {describeJob(job)}
            {job.finishedAt ? ` · ended ${formatTime(job.finishedAt)}` : ''}
            {job.runsElsewhere ? ' · run by another window or terminal' : ''}
          </p>
          {regenerate && <blockquote className="job-instruction">“{job.settings.instruction}”</blockquote>}
        </div>
        <div className="job-actions">
          {(job.status === 'running' || job.status === 'queued') && (
            <button onClick={() => pause.mutate({ id: job.id }, onDone)} disabled={busy}>
              Pause
            </button>
          )}
          {(job.status === 'paused' || job.status === 'interrupted' || job.status === 'failed') && !orphaned && (
            <button
              className="primary"
              onClick={() => resume.mutate({ id: job.id }, onDone)}
              disabled={busy}
              title={job.status === 'failed' ? 'Go on, giving the failed items fresh attempts' : undefined}
            >
              Resume
            </button>
          )}
          <CancelAndClose canCancel={active} busy={busy} onCancel={onCancel} onClose={onClose} />
        </div>
      </header>

      {orphaned && ['paused', 'interrupted', 'failed'].includes(job.status) ? (
        <WorkMessage message={orphanedJobMessage(job.kind)} failed />
      ) : (
        <WorkMessage message={job.message} failed={job.status === 'failed'} />
      )}
      {['paused', 'interrupted', 'failed'].includes(job.status) && <BudgetEditor job={job} />}

      <div className="job-overall">
        <Bar done={job.done} failed={job.failed} total={job.total} label="Overall" />
        <div className="job-figures">
          <span>
            <strong>{percent}%</strong> · {job.done.toLocaleString('en-US')} of {job.total.toLocaleString('en-US')}{' '}
            items
            {job.failed > 0 && <span className="failed-count"> · {job.failed} failed</span>}
          </span>
          {job.status === 'running' && (
            <span>
              {job.etaSeconds === null ? 'measuring time left…' : `about ${formatDuration(job.etaSeconds)} left`}
            </span>
          )}
          <span
            title={`${job.promptTokens.toLocaleString('en-US')} prompt + ${job.completionTokens.toLocaleString('en-US')} completion tokens`}
          >
            {formatTokens(job.promptTokens + job.completionTokens)} tokens
          </span>
          <span title={unpricedCallsNote(job) ?? undefined}>
            {jobCostText(job)}
            {job.settings.budgetUsd !== null ? ` of ${formatUsd(job.settings.budgetUsd)} budget` : ''}
          </span>
          {job.interruptedCalls > 0 && (
            <span
              className="muted"
              title="Calls cut off when the studio stopped: the provider may have billed them, but their cost is unknown and not in the total."
            >
              + {job.interruptedCalls} interrupted call{job.interruptedCalls === 1 ? '' : 's'}, cost unknown
            </span>
          )}
        </div>
      </div>

      <ol className="stage-list">
        {job.stages.map((s) => (
          <StageRow key={s.stage} progress={s} current={job.stage === s.stage && active} />
        ))}
      </ol>

      {job.recentFailures.length > 0 && (
        <details className="failures" open={job.status === 'failed'}>
          <summary>{failuresHeading(job)}</summary>
          <ul>
            {job.recentFailures.map((f) => (
              <li key={`${f.itemId}-${f.at}`}>
                <span className="pill subtle">{STAGE_LABEL[f.stage]}</span>
                <span className="failure-reason">{f.reason}</span>
                {!f.failed && <span className="pill subtle">attempts left</span>}
                <span className="muted">{new Date(f.at).toLocaleTimeString()}</span>
                <button className="small ghost" onClick={() => onRetry(f.itemId)} disabled={busy}>
                  Retry
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
      {job.notedItems > 0 && (
        <details className="failures notes">
          <summary>
            {regenerate
              ? `Not rewritten in place: ${job.notedItems} scene${job.notedItems === 1 ? '' : 's'} (see why)`
              : job.kind === 'judge'
                ? `Unscored: ${job.notedItems} verdict${job.notedItems === 1 ? '' : 's'} the judge never gave readably (see why)`
                : `Left unread: ${job.notedItems} answer${job.notedItems === 1 ? '' : 's'} had parts that could not be read`}
          </summary>
          <ul>
            {job.notes.map((n) => (
              <li key={`${n.itemId}-${n.at}`}>
                <span className="pill subtle">{STAGE_LABEL[n.stage]}</span>
                <span className="failure-reason">{n.text}</span>
                <span className="muted">{new Date(n.at).toLocaleTimeString()}</span>
              </li>
            ))}
          </ul>
        </details>
      )}
      {job.failed > 0 && (
        <div className="actions">
          <button onClick={() => onRetry()} disabled={busy}>
            Retry failed
          </button>
        </div>
      )}
    </article>
  );
}

/** What the job was asked to do, in a few words. */
function describeJob(job: Job): string {
  if (job.kind === 'regenerate') {
    const scenes = `${job.total.toLocaleString('en-US')} scene${job.total === 1 ? '' : 's'}`;
    return job.settings.turn === null
      ? `rewrite the experience of ${scenes}`
      : `rewrite turn ${job.settings.turn + 1} of ${scenes}`;
  }
  if (job.kind === 'interview') {
    const n = job.total.toLocaleString('en-US');
    const systems = job.settings.systemIds.length;
    return `${n} interview${job.total === 1 ? '' : 's'} of ${systems} system${systems === 1 ? '' : 's'}${job.settings.mode ? ` (${job.settings.mode}-turn)` : ''}`;
  }
  if (job.kind === 'judge') {
    const n = job.total.toLocaleString('en-US');
    return `${n} verdict${job.total === 1 ? '' : 's'} by ${job.settings.model}${job.settings.pairwise ? ', pairwise in both orders' : ''}`;
  }
  return job.settings.preset === 'paper'
    ? `the paper's plan (${job.settings.targetScenes.toLocaleString('en-US')} scenes asked, one protective per chunk)`
    : `${job.settings.targetScenes.toLocaleString('en-US')} scenes, ${Math.round(job.settings.protectiveShare * 1000) / 10}% protective`;
}

/** The spending cap of a job at rest: raise it (or clear it), then resume. */
function BudgetEditor({ job }: { job: Job }) {
  const setBudget = useCommand('jobs/set-budget');
  const [text, setText] = useState(job.settings.budgetUsd === null ? '' : String(job.settings.budgetUsd));
  const amount = text.trim() === '' ? null : Number(text);
  const valid = amount === null || (Number.isFinite(amount) && amount > 0);
  const changed = amount !== job.settings.budgetUsd;
  return (
    <form
      className="budget-editor"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid && changed) setBudget.mutate({ id: job.id, budgetUsd: amount }, { onSuccess: storeJob });
      }}
    >
      <label>
        Budget ($)
        <input
          type="number"
          min={0}
          step={0.5}
          value={text}
          placeholder="no limit"
          aria-invalid={!valid}
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      <button type="submit" disabled={!valid || !changed || setBudget.isPending}>
        Set budget
      </button>
      <small className={valid ? 'muted' : 'field-error'}>
        {valid
          ? `Spent so far: ${formatUsd(job.costUsd)}. Empty: no limit.`
          : 'Enter an amount above $0, or leave it empty.'}
      </small>
    </form>
  );
}

function StageRow({ progress, current }: { progress: StageProgress; current: boolean }) {
  const complete = progress.total > 0 && progress.done + progress.failed >= progress.total;
  return (
    <li className={current ? 'stage current' : complete ? 'stage complete' : 'stage'}>
      <span className="stage-name">
        {current && <span className="pulse" aria-hidden="true" />}
        {STAGE_LABEL[progress.stage]}
      </span>
      <Bar done={progress.done} failed={progress.failed} total={progress.total} label={STAGE_LABEL[progress.stage]} />
      <span className="stage-count">
        {progress.total === 0
          ? '—'
          : `${progress.done.toLocaleString('en-US')} / ${progress.total.toLocaleString('en-US')}`}
        {progress.failed > 0 && <span className="failed-count"> · {progress.failed} failed</span>}
      </span>
    </li>
  );
}

/** Done in the accent colour, failed in red, the rest empty. */
function Bar({ done, failed, total, label }: { done: number; failed: number; total: number; label: string }) {
  const pct = (n: number) => `${total > 0 ? Math.min(100, (n / total) * 100) : 0}%`;
  return (
    <div
      className="bar"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={done}
    >
      <div className="bar-done" style={{ width: pct(done) }} />
      <div className="bar-failed" style={{ width: pct(failed) }} />
    </div>
  );
}
