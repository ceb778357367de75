// @vitest-environment jsdom
import { afterEach, expect, it } from 'vitest';
import type { JobId } from '../../../common/contract';
import { JobsSection } from '../../../renderer/src/components/generation/JobsSection';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import {
  addFakeProvider,
  call,
  callError,
  createBeethoven,
  generationSettings,
  makeStudio,
} from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// A run stopped (the studio closed mid-run), then its provider deleted: resuming it could only fail
// at once with "choose another provider", which a stopped run cannot do. The studio refuses saying
// what to do instead, and the Generate tab says it in place of a Resume button.

const env = makeStudio();
afterEach(() => env.cleanup());

it('refuses to resume a run whose provider was deleted, and the card says to start a new one instead', async () => {
  const characterId = await createBeethoven(env.studio);
  const providerId = await addFakeProvider(env.studio, 'http://127.0.0.1:9/v1');
  env.studio.db
    .prepare(
      `INSERT INTO jobs (id, character_id, kind, status, settings, message, created_at, updated_at)
       VALUES ('stopped', ?, 'generation', 'interrupted', ?, 'Stopped when the studio closed; resume to continue where it left off.', 1, 2)`,
    )
    .run(characterId, JSON.stringify(generationSettings(providerId)));
  await call(env.studio, 'providers/delete', { id: providerId });

  const refused = await callError(env.studio, 'jobs/resume', { id: 'stopped' as JobId });
  expect(refused.code).toBe('not_found');
  expect(refused.message).toBe(
    'The provider this run used was deleted, so it cannot resume. Start a new run with another provider: its target counts the scenes this one made.',
  );
  expect((await call(env.studio, 'jobs/get', { id: 'stopped' as JobId })).status).toBe('interrupted');

  const { disconnect } = connectRenderer(env.studio);
  const character = await call(env.studio, 'characters/get', { id: characterId });
  const { container, unmount } = renderWithQueries(<JobsSection character={character} />);
  const message = () => container.querySelector('.job-message')?.textContent ?? '';
  await settleIn(container, () => message().startsWith('The provider this run used was deleted'), 'the card’s note');
  expect(container.textContent).toContain('provider deleted');
  expect([...container.querySelectorAll('button')].map((b) => b.textContent)).not.toContain('Resume');
  unmount();
  disconnect();
});
