// @vitest-environment jsdom
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ReportSystem } from '../../../common/contract';
import { AnswersPanel, ComparePanel } from '../../../renderer/src/components/eval/ReportAnswers';
import { paperSystems } from '../../support/eval-seed';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { seedJudgments } from '../../support/report-seed';
import { beethovenWithProfile, call, makeStudio } from '../../support/studio';

// Two systems' answers side by side in the Report: each judgment's reasoning is a click away, so
// the two answers stay next to each other instead of under four paragraphs of reasoning each. One
// system's answers (the drill-down) still show the reasoning at once.

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
let disconnect: () => void;
beforeEach(() => {
  env = makeStudio();
  ({ disconnect } = connectRenderer(env.studio));
});
afterEach(() => {
  disconnect();
  env.cleanup();
});

it('puts the reasoning a click away side by side, and in view in one system’s answers', async () => {
  const characterId = await beethovenWithProfile(env.studio);
  const seeded = await paperSystems(env.studio, characterId, ['Beethoven_sft', 'Beethoven_chatgpt'], 2);
  seedJudgments(
    env.studio.db,
    characterId,
    Object.values(seeded).flatMap(({ interviews }) =>
      interviews.flatMap((interviewId) => [
        { interviewId, dimension: 'values' as const, score: 4, reasoning: 'He speaks of duty and of art.' },
        { interviewId, dimension: 'memorization' as const, score: 5, reasoning: 'Bonn, Neefe, Vienna: all right.' },
      ]),
    ),
  );
  const report = await call(env.studio, 'eval/report', { characterId });
  const [a, b] = report.systems as [ReportSystem, ReportSystem];
  const scope = { characterId, topics: [], judge: null };

  const side = renderWithQueries(<ComparePanel scope={scope} a={a} b={b} mode="single" onClose={() => undefined} />);
  await settleIn(
    side.container,
    () => side.container.querySelectorAll('[data-testid="report-pair"]').length === 2,
    'the pairs',
  );
  const reasons = [...side.container.querySelectorAll<HTMLDetailsElement>('.pair details.reasoning')];
  expect(reasons).toHaveLength(2 * 2 * 2);
  expect(reasons.every((d) => !d.open)).toBe(true);
  expect(reasons[0]!.querySelector('summary')!.textContent).toMatch(/^(values|memorization) [45] judge-model · why$/);
  side.unmount();

  const one = renderWithQueries(<AnswersPanel scope={scope} system={a} mode="single" onClose={() => undefined} />);
  await settleIn(one.container, () => one.container.querySelectorAll('.judgments pre').length === 4, 'the reasoning');
  expect(one.container.querySelector('details.reasoning')).toBeNull();
  one.unmount();
});
