import type { Job, JobKindName, JobStatus } from '../../../common/contract';
import { formatUsd, jobCostText, unpricedCallsNote } from '../../../common/money';
import {
  argument,
  findCharacter,
  numberOption,
  findJob,
  str,
  UsageError,
  when,
  type Call,
  type CliContext,
} from '../shared';
import { describeJob, followJob } from './generate';
import { unknownSubcommand } from '../command-hints';

/**
 * `jobs`: every long piece of work kept as a job (generation runs, regenerations, interviews,
 * judging), as the Generate tab's Jobs section shows and controls them. A job run by another
 * process (`serve`, another terminal) is paused or cancelled from here too: that process is asked
 * and stops it within a second. `resume` and `retry` run the job here, in the foreground.
 */
export async function jobsCommand(sub: string, ctx: CliContext): Promise<number> {
  const { call, rest, values, io, print } = ctx;
  switch (sub) {
    case 'list': {
      const character = await findCharacter(call, argument(rest, 1, '<character>', 'jobs list'));
      const kind = kindOption(str(values, 'kind'));
      const status = statusOption(str(values, 'status'));
      const jobs = (await call('jobs/list', { characterId: character.id })).filter(
        (job) => (!kind || job.kind === kind) && (!status || job.status === status),
      );
      const which = [status, kind].filter(Boolean).join(' ');
      print(jobs, () =>
        jobs.length === 0
          ? `${character.fullName} has no ${which ? `${which} ` : ''}jobs.`
          : jobs.map(jobLine).join('\n'),
      );
      return 0;
    }
    case 'show': {
      const job = await call('jobs/get', { id: await findJob(call, argument(rest, 1, '<job>', 'jobs show')) });
      print(job, () => jobDetail(job));
      return 0;
    }
    case 'pause':
    case 'cancel': {
      const id = await findJob(call, argument(rest, 1, '<job>', `jobs ${sub}`));
      const asked = await call(sub === 'pause' ? 'jobs/pause' : 'jobs/cancel', { id });
      const final = asked.status === 'running' ? await untilStopped(call, asked, io.err) : asked;
      print(final, () => jobLine(final));
      if (final.status === 'running') {
        io.err(
          'Still running: the process running it has not stopped it yet. The request stands: it stops as soon as that process reads it.',
        );
        return 1;
      }
      return 0;
    }
    case 'resume': {
      const id = await findJob(call, argument(rest, 1, '<job>', 'jobs resume'));
      const job = await call('jobs/resume', { id });
      io.err(`Resuming (${job.done}/${job.total} done). Ctrl+C pauses.`);
      return followJob(ctx, job.id);
    }
    case 'retry': {
      const id = await findJob(call, argument(rest, 1, '<job>', 'jobs retry'));
      const item = rest[2];
      const job = await call('jobs/retry', { id, ...(item !== undefined && { itemId: item }) });
      io.err(`Retrying ${item ? `item ${item}` : 'the failed items'}. Ctrl+C pauses.`);
      return followJob(ctx, job.id);
    }
    case 'budget': {
      const id = await findJob(call, argument(rest, 1, '<job>', 'jobs budget'));
      const text = argument(rest, 2, '<usd|none>', 'jobs budget');
      const budgetUsd = /^(none|unlimited)$/i.test(text) ? null : numberOption(text, '<usd>', 0);
      const job = await call('jobs/set-budget', { id, budgetUsd });
      print(job, () => `${jobLine(job)}\nBudget: ${budgetUsd === null ? 'none' : formatUsd(budgetUsd)}.`);
      return 0;
    }
    default:
      throw unknownSubcommand('jobs', sub);
  }
}

const KINDS: readonly JobKindName[] = ['generation', 'regenerate', 'interview', 'judge'];
const STATUSES: readonly JobStatus[] = [
  'queued',
  'running',
  'paused',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
];

function kindOption(value: string | undefined): JobKindName | undefined {
  if (value === undefined) return undefined;
  if (KINDS.includes(value as JobKindName)) return value as JobKindName;
  throw new UsageError(`Unknown --kind "${value}" for jobs: use ${KINDS.join(', ')}.`);
}

function statusOption(value: string | undefined): JobStatus | undefined {
  if (value === undefined) return undefined;
  if (STATUSES.includes(value as JobStatus)) return value as JobStatus;
  throw new UsageError(`Unknown --status "${value}" for jobs: use ${STATUSES.join(', ')}.`);
}

/**
 * Waits for a job another process runs to leave `running` after a pause or cancel was asked of it
 * (that process reads the request within a second and stops its calls at once); gives up after
 * `withinMs`, returning the job as it then is.
 */
async function untilStopped(call: Call, asked: Job, say: (text: string) => void, withinMs = 30_000): Promise<Job> {
  if (asked.message) say(asked.message);
  const deadline = Date.now() + withinMs;
  let job = asked;
  while (job.status === 'running' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    job = await call('jobs/get', { id: asked.id });
  }
  return job;
}

function jobLine(job: Job): string {
  const failed = job.failed > 0 ? ` · ${job.failed} failed` : '';
  const cost = job.costUsd > 0 || job.unpricedCalls > 0 ? ` · ${jobCostText(job)}` : '';
  const where = job.runsElsewhere ? ' · run by another process' : '';
  const head = `${job.id}  ${job.kind.padEnd(10)} ${job.status.padEnd(11)} ${job.done}/${job.total}${failed}${cost} · ${when(job.createdAt)}${where}`;
  return job.message ? `${head}\n    ${job.message}` : head;
}

function jobDetail(job: Job): string {
  const budget = job.settings.budgetUsd;
  const lines = [
    `Job ${job.id} (${job.kind})`,
    describeJob(job),
    `Started ${when(job.createdAt)}${job.finishedAt === null ? '' : ` · ended ${when(job.finishedAt)}`} · budget ${budget === null || budget === undefined ? 'none' : formatUsd(budget)}`,
  ];
  if (job.message) lines.push(job.message);
  const unpriced = unpricedCallsNote(job);
  if (unpriced) lines.push(unpriced);
  if (job.recentFailures.length > 0) {
    lines.push(
      `Failures (latest ${job.recentFailures.length}; retry with: character-studio jobs retry ${job.id} [item]):`,
    );
    for (const f of job.recentFailures)
      lines.push(`  ${f.stage} ${f.itemId}${f.failed ? '' : ' (will be tried again)'}: ${f.reason}`);
  }
  if (job.notedItems > 0) {
    lines.push(`Noted items: ${job.notedItems} (latest ${job.notes.length}):`);
    for (const n of job.notes) lines.push(`  ${n.stage} ${n.itemId}: ${n.text}`);
  }
  return lines.join('\n');
}
