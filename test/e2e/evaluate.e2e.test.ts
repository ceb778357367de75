import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { fixture } from '../support/paths';
import { beethovenWithFakeProvider, pageInvoke, useServePage } from '../support/serve-page';

/**
 * The Evaluate tab in Chromium against `serve`, with the fake OpenAI-compatible server as both the
 * interviewer and a prompted baseline: the paper's question file imported, a question reworded into
 * a new version (the old one still readable), a system added, a small single- and multi-turn
 * interview run as jobs, and a transcript read with the character's thoughts apart from its speech.
 */

const session = useServePage('cs-e2e-evaluate-');
const { shot } = session;
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlmServer({
    responder: (req) => {
      const user = req.messages.at(-1)?.content ?? '';
      const wanted = /holding exactly (\d+) strings/.exec(user)?.[1];
      if (wanted) {
        const kind = /Write \d+ goals/.test(user) ? 'Goal' : 'Question';
        const questions = Array.from({ length: Number(wanted) }, (_, i) => `${kind} ${i + 1} from the profile?`);
        return JSON.stringify({ questions });
      }
      const round = /question for round (\d+) of/.exec(user)?.[1];
      if (round) return `Man: And then, in round ${round}, what happened next?`;
      return { text: `Let me tell you plainly: ${user}`, reasoning: `Why would he ask “${user}”?` };
    },
  });
});
afterEach(async () => {
  await server.close();
});

describe('the Evaluate tab', () => {
  it('imports and edits a question set, interviews a prompted baseline and shows the transcript', async () => {
    const page = session.page;
    await page.goto(session.serve.url);
    const { character } = await beethovenWithFakeProvider(page, server.baseURL);
    await page.reload();
    await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Evaluate' }).click();
    await page.getByRole('heading', { name: 'No question sets yet' }).waitFor();

    // The paper's single-turn file, imported as it is.
    await page.getByLabel('Question file').setInputFiles(fixture('generated_agent_interview_Beethoven.json'));
    const editor = page.getByRole('region', { name: 'Question set generated_agent_interview_Beethoven' });
    await editor.waitFor();
    await expect
      .poll(() => page.getByRole('button', { name: /generated_agent_interview_Beethoven/ }).innerText())
      .toContain('82 questions');
    expect(await editor.getByLabel('Question 1', { exact: true }).inputValue()).toBe(
      'What do you think of your father?',
    );
    await shot('evaluate-00-imported');

    // Reword the first question and save: version 2; version 1 stays readable.
    await editor.getByLabel('Question 1', { exact: true }).fill('What did you truly think of your father?');
    await editor.getByRole('button', { name: 'Save as version 2' }).click();
    await editor.getByRole('button', { name: 'Save as version 3' }).waitFor();
    await editor.getByLabel('Version').selectOption('1');
    await editor.getByText('Version 1 is read-only').waitFor();
    expect(await editor.getByLabel('Question 1', { exact: true }).inputValue()).toBe(
      'What do you think of your father?',
    );
    await shot('evaluate-01-old-version');

    // A file of another shape is refused, naming the file and the entry; nothing is added.
    await page.getByLabel('Question file').setInputFiles({
      name: 'notes.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify([{ topic_id: 'topic-1', text: 'Where were you born?' }])),
    });
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('notes.json, entry 1 has no "question"');
    expect(await page.getByRole('list').filter({ hasText: 'imported · v2' }).getByRole('listitem').count()).toBe(1);

    // Generated from the profile: two per topic, a goal per topic, and the five shared probes.
    await page.getByRole('button', { name: 'Generate…' }).click();
    const generate = page.getByRole('form', { name: 'Generate questions' });
    await generate.getByLabel('Questions per topic').fill('2');
    await generate.getByLabel('Multi-turn goals per topic').fill('1');
    await generate.getByRole('button', { name: 'Generate' }).click();
    await expect
      .poll(() => page.getByRole('button', { name: /^Generated/ }).innerText())
      .toContain('11 questions · 3 goals');
    await shot('evaluate-01b-generated');

    // A small set of our own for the interviews, and a version 2 with one more question.
    const questions = [
      { topicId: 'topic-1', text: 'Where were you born?', mode: 'single' },
      { topicId: 'topic-4', text: 'What is your favourite film?', mode: 'single' },
      { topicId: 'topic-2', text: 'find out how he got on with his brothers', mode: 'multi' },
    ];
    const small = await api<{ set: { id: string } }>('eval/questions/create', {
      characterId: character.id,
      name: 'Small',
      questions,
    });
    await api('eval/questions/save', {
      setId: small.set.id,
      baseVersion: 1,
      questions: [...questions, { topicId: 'topic-3', text: 'Do you like coffee?', mode: 'single' }],
      note: 'added coffee',
    });

    // A prompted baseline, added through the form.
    await page.getByRole('button', { name: 'Interviews' }).click();
    await page.getByRole('button', { name: '+ Add system' }).click();
    const add = page.getByRole('form', { name: 'Add a system' });
    await add.getByLabel('Name (optional)').fill('Fake prompted');
    await shot('evaluate-01c-add-system');
    await add.getByRole('button', { name: 'Add system' }).click();
    const start = page.getByRole('form', { name: 'Start interviews' });
    await start.getByLabel('Fake prompted').check();
    await start.getByLabel('Question set').selectOption({ label: 'Small' });
    // Version 1, as earlier runs were asked: its two questions, not the newest's three.
    const version = start.getByLabel('Version');
    expect(await version.locator('option:checked').innerText()).toBe('Newest (v2)');
    await version.selectOption('1');
    expect(await version.locator('option:checked').innerText()).toContain('v1 · 3 questions · created by hand');
    await expect.poll(() => start.innerText()).toContain('2 interviews.');
    // Its label above it, as every field of the form has (it sat beside the select).
    const versionLabel = (await start.getByText('Version', { exact: true }).boundingBox())!;
    expect(versionLabel.y + versionLabel.height).toBeLessThanOrEqual((await version.boundingBox())!.y + 0.5);
    await shot('evaluate-01d-older-version');
    await start.getByRole('button', { name: 'Start interviews' }).click();
    const card = page.getByTestId('job-card').first();
    await expect.poll(() => card.innerText(), { timeout: 30_000 }).toContain('Finished');
    expect(await card.innerText()).toContain('2 of 2');
    const asked = await api<{ setVersion: number; question: string }[]>('eval/interviews/list', {
      characterId: character.id,
    });
    expect(asked.map((i) => [i.setVersion, i.question]).sort()).toEqual([
      [1, 'What is your favourite film?'],
      [1, 'Where were you born?'],
    ]);

    // Multi-turn, 2 rounds, the same server as the interviewer.
    await start.getByRole('button', { name: 'Multi-turn' }).click();
    await start.getByLabel('Rounds').fill('2');
    await start.getByRole('button', { name: 'Start interviews' }).click();
    await expect
      .poll(() => page.getByTestId('job-card').first().innerText(), { timeout: 30_000 })
      .toMatch(/Finished[\s\S]*1 of 1/);
    const rows = page.getByRole('region', { name: 'Interviews' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    await shot('evaluate-02-interviews');

    // The multi-turn transcript: the interviewer's questions, the speech, the thoughts apart.
    await page.getByRole('row', { name: /find out how he got on with his brothers/ }).click();
    const transcript = page.getByRole('region', { name: 'Transcript' });
    await transcript.waitFor();
    await expect.poll(() => transcript.getByRole('listitem').count()).toBe(6);
    const thoughts = transcript.getByRole('listitem', { name: 'Beethoven thinks' });
    expect(await thoughts.count()).toBe(2);
    expect(await thoughts.first().innerText()).toContain('Why would he ask');
    const said = transcript.getByRole('listitem', { name: 'Beethoven says' });
    expect(await said.first().innerText()).not.toContain('Why would he ask');
    expect(await transcript.getByRole('listitem', { name: 'Man says' }).nth(1).innerText()).toContain('in round 2');
    await transcript.scrollIntoViewIfNeeded();
    await shot('evaluate-03-transcript');
  });
});
