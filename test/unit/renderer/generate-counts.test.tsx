// @vitest-environment jsdom
import { afterEach, expect, it } from 'vitest';
import { GeneratePanel } from '../../../renderer/src/components/generation/GeneratePanel';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { call, makeStudio, sampleWithIdleProvider } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

it('names the scenes a new run counts as the normal ones, as the Dataset tab separates them', async () => {
  const { disconnect } = connectRenderer(env.studio);
  const character = await sampleWithIdleProvider(env.studio);
  const stats = await call(env.studio, 'dataset/stats', { characterId: character.id });
  const normal = stats.scenes - stats.protectiveScenes;
  expect(stats.protectiveScenes).toBeGreaterThan(0);

  const { container, unmount } = renderWithQueries(<GeneratePanel character={character} />);
  const hint = () => container.querySelector('.start-hint')?.textContent ?? '';
  await settleIn(container, () => hint().includes('the target counts them'), 'the start hint');
  expect(hint()).toContain(`${character.shortName} has ${normal} normal scenes (protective ones aside)`);
  unmount();
  disconnect();
});
