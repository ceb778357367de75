import type { JobKindName } from './contract';

const ADVICE: Record<JobKindName, string> = {
  generation: 'Start a new run with another provider: its target counts the scenes this one made.',
  regenerate: 'Start the regeneration again with another provider.',
  interview: 'Start the interviews again with another provider.',
  judge: 'Start the judge again with another provider.',
};

/**
 * Why a stopped job whose provider was deleted (in Settings or `providers delete`) cannot resume,
 * and what to do instead: `jobs/resume` refuses with it, and the job's card says it in place of Resume.
 */
export function orphanedJobMessage(kind: JobKindName): string {
  return `The provider this ${kind === 'generation' ? 'run' : 'job'} used was deleted, so it cannot resume. ${ADVICE[kind]}`;
}
