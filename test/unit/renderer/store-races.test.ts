// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, CommandArg, CommandName, CommandResult, Job, JobId } from '../../../common/contract';
import { invoke, queryClient, storeJob } from '../../../renderer/src/lib/queries';
import { setStudio } from '../../../renderer/src/lib/studio';
import { gate } from '../../support/gate';
import { inProcessBridge } from '../../support/in-process-bridge';
import { beethovenWithJob } from '../../support/scenes';
import { call, makeStudio } from '../../support/studio';

// A command's reply (or an event) stored in the cache while a read of the same list is in flight:
// the read was answered by the store before the change and lands after it. Against a real studio,
// with the page's own query client; the slow read is held by the test, not by a clock.

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
/** While shut, `jobs/list` answers are read from the store at once but handed back only on open. */
const lists = gate();
/** How many times the list was read: a stored job must not make it read again (events come often). */
let listReads = 0;

beforeEach(async () => {
  env = makeStudio();
  listReads = 0;
  ({ characterId } = await beethovenWithJob(env.studio));
  const real = inProcessBridge(env.studio);
  setStudio({
    ...real,
    async invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>> {
      const answer = await real.invoke(name, arg);
      if (name === 'jobs/list') {
        listReads++;
        await lists.passed();
      }
      return answer;
    },
  });
});

afterEach(() => {
  lists.open();
  queryClient.clear();
  env.cleanup();
});

const listKey = () => ['jobs/list', { characterId }];
const readList = () =>
  queryClient.fetchQuery({ queryKey: listKey(), queryFn: () => invoke('jobs/list', { characterId }) });

/**
 * Cancels the job as its card does (storing the reply) while a read of the list is held, lets the
 * read land, and waits until the cache is at rest showing what the store holds (it never gets
 * there if the older answer wins, and the poll fails).
 */
async function cancelDuringRead(read: Promise<unknown>): Promise<Job[] | undefined> {
  await expect.poll(() => queryClient.isFetching({ queryKey: listKey() })).toBe(1);
  storeJob(await invoke('jobs/cancel', { id: 'job' as JobId }));
  lists.open();
  await read;
  const stored = await call(env.studio, 'jobs/list', { characterId });
  await expect
    .poll(() => ({
      reading: queryClient.isFetching({ queryKey: listKey() }),
      shown: queryClient.getQueryData(listKey()),
    }))
    .toEqual({ reading: 0, shown: stored });
  return queryClient.getQueryData<Job[]>(listKey());
}

describe('storeJob while a read of the list is in flight', () => {
  it('on the first read: the stored job is put back over the older answer', async () => {
    lists.shut();
    const shown = await cancelDuringRead(readList());
    expect(shown?.map((j) => j.status)).toEqual(['cancelled']);
  });

  it('on a read again (a stream reopened): the stored job stays, not the older answer', async () => {
    expect((await readList()).map((j) => j.status)).toEqual(['queued']);
    lists.shut();
    const again = queryClient.refetchQueries({ queryKey: listKey(), type: 'all' });
    const shown = await cancelDuringRead(again);
    expect(shown?.map((j) => j.status)).toEqual(['cancelled']);
    expect(listReads).toBe(2); // the first and the one in flight: none restarted
  });
});
