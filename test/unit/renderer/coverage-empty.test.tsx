// @vitest-environment jsdom
import { afterEach, expect, it } from 'vitest';
import { CoverageChart } from '../../../renderer/src/components/dataset/stats/CoverageCharts';
import { renderWithQueries } from '../../support/render';
import { call, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// The sample character: a profile in chunks and ten imported scenes, none from a chunk. The
// Coverage chart drew an empty grid of zeros, its note calling the scenes "written by hand".

const env = makeStudio();
afterEach(() => env.cleanup());

it('says why Coverage has no bars when no scene came from a chunk, instead of a chart of zeros', async () => {
  const [sample] = await call(env.studio, 'samples/list', {});
  const { characterId } = await call(env.studio, 'samples/load', { id: sample!.id });
  const charts = await call(env.studio, 'dataset/charts', { characterId });
  expect(charts.chunks.length).toBeGreaterThan(0);
  expect(charts.withoutChunk).toBeGreaterThan(0);

  const { container, unmount } = renderWithQueries(<CoverageChart charts={charts} />);
  const card = container.querySelector('[data-testid="chart-coverage"]');
  expect(card?.querySelector('.chart-empty')?.textContent).toBe(
    "No scene was imagined from a profile chunk yet (those here were imported or written by hand): a generation run's scenes show here under the chunk they came from.",
  );
  expect(card?.querySelector('.recharts-responsive-container')).toBeNull();
  expect(card?.textContent).not.toContain('written by hand, or its chunk was deleted');
  unmount();
});
