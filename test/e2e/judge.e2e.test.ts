import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { answersOf, isJudgeRequest, judgeResponder, verdictText } from '../support/judge-responder';
import { beethovenWithFakeProvider, pageInvoke, useServePage } from '../support/serve-page';

/**
 * The Evaluate tab's Judge view in Chromium against `serve`, with the fake OpenAI-compatible server
 * as two prompted baselines and as the judge: two small interview jobs, then a judge job started from
 * the form (scores and a pairwise comparison), its card, the mean scores, the win rates, and one
 * interview's transcript with the judge's scores and reasoning (and an unscored verdict's reasons).
 */

const session = useServePage('cs-e2e-judge-');
const { shot } = session;
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlmServer({
    models: ['fake-model', 'terse-model'],
    responder: (req) => {
      if (isJudgeRequest(req)) {
        const user = req.messages[1]?.content ?? '';
        // The hallucination judge never writes its score in the asked form.
        if (/criterion — Hallucination/.test(user)) return 'He stays in his century. I would give him a 6.';
        return judgeResponder({
          // The longer answer wins wherever it is shown.
          pairwise: (_r, first, second) => verdictText('More detail.', first.length >= second.length ? '1' : '2'),
        })(req);
      }
      const asked = req.messages.at(-1)?.content ?? '';
      return req.model === 'terse-model'
        ? 'Bonn.'
        : `In Bonn, by the Rhine, where my grandfather was Kapellmeister. You ask: ${asked}`;
    },
  });
});
afterEach(async () => {
  await server.close();
});

describe('the Judge view', () => {
  it('judges interviews from the form, shows means and win rates, and the reasoning under a transcript', async () => {
    const page = session.page;
    await page.goto(session.serve.url);
    const { character, provider } = await beethovenWithFakeProvider(page, server.baseURL);
    const set = await api<{ set: { id: string } }>('eval/questions/create', {
      characterId: character.id,
      name: 'Small',
      questions: [
        { topicId: 'topic-1', text: 'Where were you born?', mode: 'single' },
        { topicId: 'topic-2', text: 'What did you think of your father?', mode: 'single' },
        { topicId: 'topic-4', text: 'What is your favourite film?', mode: 'single' },
      ],
    });
    const systems: string[] = [];
    for (const [label, model] of [
      ['Fake prompted', 'fake-model'],
      ['Terse prompted', 'terse-model'],
    ] as const) {
      const system = await api<{ id: string }>('eval/systems/create', {
        characterId: character.id,
        kind: 'prompted',
        label,
        answerer: { runtime: 'endpoint', providerId: provider.id, model, runId: null },
      });
      systems.push(system.id);
    }
    const interviews = await api<{ id: string }>('eval/interviews/start', {
      characterId: character.id,
      systemIds: systems,
      setId: set.set.id,
      mode: 'single',
    });
    await expect
      .poll(async () => (await api<{ status: string }>('jobs/get', { id: interviews.id })).status, { timeout: 30_000 })
      .toBe('succeeded');

    await page.reload();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Evaluate' }).click();
    await page.getByRole('button', { name: 'Judge', exact: true }).click();
    const form = page.getByRole('form', { name: 'Start judging' });
    await form.getByLabel('Fake prompted').check();
    await form.getByLabel('Terse prompted').check();
    await form.getByLabel('Personality').uncheck();
    await form.getByLabel('Also compare two systems').check();
    await form.getByLabel('System A').selectOption({ label: 'Fake prompted' });
    await form.getByLabel('System B').selectOption({ label: 'Terse prompted' });
    await form.getByLabel('Retries').fill('1');
    await shot('judge-00-form');
    await form.getByRole('button', { name: 'Start judging' }).click();

    const card = page.getByTestId('job-card').first();
    await expect.poll(() => card.innerText(), { timeout: 30_000 }).toContain('Finished');
    // 2 systems × 3 answers × 3 dimensions, and 3 questions × 3 dimensions × 2 orders.
    expect(await card.innerText()).toContain('36 of 36');
    expect(await card.innerText()).toMatch(/6 verdicts stay unscored/);

    const scores = page.getByRole('region', { name: 'Scores' });
    await expect.poll(() => scores.locator('tbody tr').count()).toBe(2);
    // Verdicts land while the job runs; the table catches up within a second.
    await expect
      .poll(() => scores.getByRole('row', { name: /Fake prompted/ }).innerText())
      .toMatch(/unscored[\s\S]*3 unscored/);

    const pairwise = page.getByRole('region', { name: 'Pairwise' });
    await expect.poll(() => pairwise.locator('tbody tr').count()).toBe(3);
    // Fake's answers are the longer ones: it wins every pair, in both orders.
    await expect
      .poll(() => pairwise.getByRole('row', { name: /Memorization/ }).innerText())
      .toMatch(
        /^Memorization\s+single-turn\s+100% \[\d+–100%\]\s+0% \[0–\d+%\][\s\S]*\s3\s+fake-model · pairwise@\d+$/,
      );
    await pairwise.scrollIntoViewIfNeeded();
    await shot('judge-01-scores');

    // The drill-down: an interview's transcript with each verdict and its reasoning.
    await page.getByRole('button', { name: 'Interviews' }).click();
    await page
      .getByRole('row', { name: /Where were you born/ })
      .first()
      .click();
    const verdicts = page.getByRole('region', { name: "Judge's scores" });
    await verdicts.waitFor();
    await expect.poll(() => verdicts.getByRole('listitem').count()).toBeGreaterThanOrEqual(3);
    const unscored = verdicts.locator('li.judge-verdict', { hasText: 'Hallucination' }).first();
    expect(await unscored.innerText()).toContain('unscored');
    await unscored.locator('summary').click();
    expect(await unscored.innerText()).toMatch(/ask 1.*wrapped in words/);
    await verdicts.locator('li.judge-verdict', { hasText: 'Memorization' }).first().locator('summary').click();
    expect(await verdicts.innerText()).toContain('Step by step');
    await verdicts.scrollIntoViewIfNeeded();
    await shot('judge-02-transcript');
    // Both orders of every pair were asked.
    const asked = server.requests.filter((r) => r.chat && isJudgeRequest(r.chat) && answersOf(r.chat)[1] !== '');
    expect(asked).toHaveLength(18);
  });
});
