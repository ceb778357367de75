import { describe, expect, it } from 'vitest';
import type { JobId } from '../../../common/contract';
import { WatchedRuns } from '../../../main/core/jobs/job-view';
import type { JobRow } from '../../../main/store/jobs-repo';

const row = (status: JobRow['status']) => ({ id: 'job-1' as JobId, status }) as JobRow;

describe('jobs another process runs, as watched here', () => {
  it('measure their pace from when they were first seen running, and are forgotten once stopped', () => {
    const runs = new WatchedRuns();
    expect(runs.seen(row('running'), 10, 1_000)).toEqual({ startedAt: 1_000, doneAtStart: 10 });
    // Later looks keep the first sighting: the pace is measured over the whole time watched.
    expect(runs.seen(row('running'), 25, 6_000)).toEqual({ startedAt: 1_000, doneAtStart: 10 });
    expect(runs.seen(row('paused'), 25, 7_000)).toBeUndefined();
    // Resumed later: a new sighting, not the old pace.
    expect(runs.seen(row('running'), 25, 60_000)).toEqual({ startedAt: 60_000, doneAtStart: 25 });
  });
});
