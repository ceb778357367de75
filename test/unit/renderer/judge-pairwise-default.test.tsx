// @vitest-environment jsdom
import { afterEach, beforeEach, expect, it } from 'vitest';
import { JudgeView } from '../../../renderer/src/components/eval/JudgeView';
import { paperSystems } from '../../support/eval-seed';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { judgeResponder } from '../../support/judge-responder';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, beethovenWithProfile, call, makeStudio } from '../../support/studio';

// The Judge view's Pairwise card shows the comparison the latest judge job made (from this screen
// or `judge --pairwise` in a terminal) until two systems are chosen: it stood at "Choose…"
// beside win rates already stored, and a user had to guess which pair had been compared.

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer;
let disconnect: () => void;
beforeEach(async () => {
  server = await startFakeLlmServer({ responder: judgeResponder() });
  env = makeStudio();
  ({ disconnect } = connectRenderer(env.studio, { evalEvents: true }));
});
afterEach(async () => {
  disconnect();
  await env.studio.shutdown();
  env.cleanup();
  await server.close();
});

it('opens on the pair the latest judge job compared', async () => {
  const characterId = await beethovenWithProfile(env.studio);
  const providerId = await addFakeProvider(env.studio, server.baseURL);
  const { sft, chatgpt } = await paperSystems(
    env.studio,
    characterId,
    ['Beethoven_sft', 'Beethoven_chatgpt'],
    3,
    (n) => (n === 'Beethoven_sft' ? 'sft' : 'chatgpt'),
  ).then((s) => ({ sft: s.Beethoven_sft.system, chatgpt: s.Beethoven_chatgpt.system }));
  const job = await call(env.studio, 'eval/judge/start', {
    characterId,
    providerId,
    pairwise: { a: chatgpt.id, b: sft.id },
    dimensions: ['values'],
  });
  expect((await env.studio.jobs.whenIdle(job.id)).status).toBe('succeeded');

  const character = await call(env.studio, 'characters/get', { id: characterId });
  const { container, unmount } = renderWithQueries(<JudgeView character={character} />);
  const card = () => container.querySelector('[aria-label="Pairwise"]');
  await settleIn(container, () => card()?.querySelector('table') != null, 'the win rates');
  const [a, b] = [...card()!.querySelectorAll('select')];
  expect([a!.selectedOptions[0]!.textContent, b!.selectedOptions[0]!.textContent]).toEqual(['chatgpt', 'sft']);
  expect(card()!.querySelector('thead')!.textContent).toContain('chatgpt wins');
  expect(card()!.querySelector('tbody')!.textContent).toMatch(/^Values/);
  unmount();
});
