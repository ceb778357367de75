// @vitest-environment jsdom
import { afterEach, expect, it } from 'vitest';
import { GeneratePanel } from '../../../renderer/src/components/generation/GeneratePanel';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, call, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

it('names the scenes a new run counts as the normal ones, as the Dataset tab separates them', async () => {
  const { disconnect } = connectRenderer(env.studio);
  // The sample: scenes of both kinds. The estimate reads the provider's settings and calls nothing.
  const [sample] = await call(env.studio, 'samples/list', {});
  const { characterId } = await call(env.studio, 'samples/load', { id: sample!.id });
  await addFakeProvider(env.studio, 'http://127.0.0.1:9/v1');
  const character = await call(env.studio, 'characters/get', { id: characterId });
  const stats = await call(env.studio, 'dataset/stats', { characterId });
  const normal = stats.scenes - stats.protectiveScenes;
  expect(stats.protectiveScenes).toBeGreaterThan(0);

  const { container, unmount } = renderWithQueries(<GeneratePanel character={character} />);
  const hint = () => container.querySelector('.start-hint')?.textContent ?? '';
  await settleIn(container, () => hint().includes('the target counts them'), 'the start hint');
  expect(hint()).toContain(`${character.shortName} has ${normal} normal scenes (protective ones aside)`);
  unmount();
  disconnect();
});
