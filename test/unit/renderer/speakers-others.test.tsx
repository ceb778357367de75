// @vitest-environment jsdom
import { afterEach, expect, it } from 'vitest';
import { SpeakersChart } from '../../../renderer/src/components/dataset/stats/DistributionCharts';
import { renderWithQueries } from '../../support/render';
import { call, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// The Speakers chart sums the speakers past its top ones in a last bar: "1 other", not "1 others".

const env = makeStudio();
afterEach(() => env.cleanup());

it('names the summed speakers in the singular when there is one', async () => {
  const [sample] = await call(env.studio, 'samples/list', {});
  const { characterId } = await call(env.studio, 'samples/load', { id: sample!.id });
  const charts = await call(env.studio, 'dataset/charts', { characterId });
  const labelWith = (speakers: number) => {
    const { container, unmount } = renderWithQueries(
      <SpeakersChart charts={{ ...charts, others: { speakers, turns: 4, words: 40 } }} />,
    );
    const label = container.querySelector('[data-testid="chart-speakers"]')!.getAttribute('aria-label')!;
    unmount();
    return label;
  };
  expect(labelWith(1)).toMatch(/; 1 other speaker 4$/);
  expect(labelWith(3)).toMatch(/; 3 other speakers 4$/);
});
