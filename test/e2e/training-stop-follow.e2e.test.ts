import Database from 'better-sqlite3';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DATABASE_FILE } from '../../main/core/studio-store';
import { invokeServe } from '../support/serve';
import { useServePage } from '../support/serve-page';
import { insertStoppingRun, UNREACHABLE_HOST } from '../support/stopping-run';

/**
 * The Train tab in Chromium against `serve`: a run on an SSH host that a terminal asked to stop and
 * then left (Ctrl+C on `train stop`'s wait) is `stopping` with nothing in `serve` following it. Its
 * card says so and offers "Follow the stop", the same core path as `train stop`; the host (a port
 * nothing answers on) cannot be reached, so the run ends interrupted with the reason and a Resume.
 */

const session = useServePage('cs-e2e-stop-follow-', { width: 1024, height: 700 });

it('follows the stop of a remote run nobody follows from its card, to interrupted with the reason', async () => {
  const { page, serve } = session;
  const character = await invokeServe(serve, 'characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '1770–1827',
    notes: '',
  });
  const host = await invokeServe(serve, 'hosts/save', UNREACHABLE_HOST);
  // Written as the terminal's studio left it, beside the running serve (SQLite in WAL mode).
  const db = new Database(path.join(session.data.dir, DATABASE_FILE));
  insertStoppingRun(db, {
    id: 'left-stopping',
    characterId: character.id,
    target: host.id,
    baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
    runDir: path.join(session.data.dir, 'runs', 'left-stopping'),
    createdAt: Date.now(),
    step: 40,
    totalSteps: 300,
    runner: 'lab-gpu pid 4242',
  });
  db.close();

  await page.goto(serve.url);
  await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
  await page.getByRole('tab', { name: 'Train' }).click();
  const card = page.getByRole('article', { name: 'Current run' });
  await card.getByText('This studio is not following the stop').waitFor();
  await expect.poll(() => card.getByRole('button', { name: 'Follow the stop' }).isEnabled()).toBe(true);
  await session.shot('train-stop-unfollowed');

  await card.getByRole('button', { name: 'Follow the stop' }).click();
  const ended = page.getByRole('article', { name: 'Last run' });
  await ended.getByText(/^Could not reach lab-gpu to see the stop through: .+resume to re-attach to it/).waitFor();
  await expect.poll(() => ended.getByRole('button', { name: 'Resume' }).isVisible()).toBe(true);
  expect(await ended.getByRole('button', { name: 'Follow the stop' }).count()).toBe(0);
  await session.shot('train-stop-followed-interrupted');
});
