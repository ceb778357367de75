// @vitest-environment jsdom
import { afterEach, expect, it } from 'vitest';
import { JobsSection } from '../../../renderer/src/components/generation/JobsSection';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, call, createBeethoven, generationSettings, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// A run whose calls went to a model with no price set does not say it cost $0: the card says the
// cost is unknown (or a lower bound), and its tooltip says why and where to set the price.

const env = makeStudio();
afterEach(() => env.cleanup());

it('shows a run with unpriced calls as "cost unknown", or "at least" what the priced ones cost', async () => {
  const characterId = await createBeethoven(env.studio);
  const providerId = await addFakeProvider(env.studio, 'http://127.0.0.1:9/v1');
  const insert = env.studio.db.prepare(
    `INSERT INTO jobs (id, character_id, kind, status, settings, prompt_tokens, cost_usd, unpriced_calls, created_at, updated_at)
     VALUES (?, ?, 'generation', 'succeeded', ?, 1200, ?, ?, ?, ?)`,
  );
  const settings = JSON.stringify(generationSettings(providerId));
  insert.run('older', characterId, settings, 0.5, 2, 1, 1);
  insert.run('latest', characterId, settings, 0, 3, 2, 2);

  const { disconnect } = connectRenderer(env.studio);
  const character = await call(env.studio, 'characters/get', { id: characterId });
  const { container, unmount } = renderWithQueries(<JobsSection character={character} />);
  const cost = () =>
    [...container.querySelectorAll('article span')].find((s) => s.textContent === 'cost unknown') as
      HTMLElement | undefined;
  await settleIn(container, () => cost() !== undefined, 'the last run’s cost');
  expect(cost()!.title).toBe(
    "3 calls went to a model with no price set, so their cost is not counted. Add the model's price under Settings → Prices to count later calls.",
  );
  expect(container.textContent).not.toContain('$0 ');
  // The earlier run, in the list below: a priced part and an unpriced one.
  expect(container.textContent).toContain('· at least $0.50');
  unmount();
  disconnect();
});
