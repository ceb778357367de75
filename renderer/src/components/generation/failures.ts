import type { Job } from '../../../../common/contract';

/**
 * The heading over the recent errors. An error is listed while its item waits for another attempt
 * too, so the count of items that failed for good may be 0 while errors are shown.
 */
export function failuresHeading(job: Pick<Job, 'failed'>): string {
  if (job.failed === 0) return 'Recent errors (no item has failed for good)';
  return `Recent errors (${job.failed.toLocaleString('en-US')} item${job.failed === 1 ? '' : 's'} failed)`;
}
