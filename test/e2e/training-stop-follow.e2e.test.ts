import Database from 'better-sqlite3';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DATABASE_FILE } from '../../main/core/studio-store';
import { tinyTrainingConfig } from '../unit/trainer/fixtures';
import { invokeServe } from '../support/serve';
import { useServePage } from '../support/serve-page';

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
  const host = await invokeServe(serve, 'hosts/save', {
    name: 'lab-gpu',
    host: '127.0.0.1',
    port: 1,
    username: 'trainer',
    privateKeyPath: '',
    python: 'python3',
    remoteRoot: '.character-studio',
    gpuCount: 1,
  });
  // Written as the terminal's studio left it, beside the running serve (SQLite in WAL mode).
  const db = new Database(path.join(session.data.dir, DATABASE_FILE));
  db.prepare(
    `INSERT INTO training_runs (id, character_id, status, target, config, run_dir, examples, step, total_steps, message,
       runner, created_at, updated_at)
     VALUES ('left-stopping', ?, 'stopping', ?, ?, ?, 12, 40, 300, ?, 'lab-gpu pid 4242', ?, ?)`,
  ).run(
    character.id,
    host.id,
    JSON.stringify(tinyTrainingConfig('Qwen/Qwen2.5-0.5B-Instruct', host.id)),
    path.join(session.data.dir, 'runs', 'left-stopping'),
    'Stopping: asked the run on lab-gpu to save a checkpoint and stop…',
    Date.now(),
    Date.now(),
  );
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
