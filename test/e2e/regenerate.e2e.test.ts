import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SceneDoc } from '../../common/contract';
import type { Locator } from 'playwright-core';
import { startFakeLlmServer, type FakeChatRequest, type FakeLlmServer } from '../support/fake-llm-server';
import { builtCli, generateWithCli } from '../support/cli-dataset';
import { pageInvoke, useServePage } from '../support/serve-page';
import { seedOnce } from '../support/seed-once';
import { studioResponder } from '../support/studio-responder';

// Regeneration with an instruction in Chromium against `serve` (1024×700), with a scripted LLM
// server: open the editor, rewrite the experience with "make him angrier", see the new text, undo
// to the old text, redo, see the LLM revision and its instruction in History, rewrite one turn, and
// find the job on the Generate tab.

let llm: FakeLlmServer;
/** While set, a rewrite request says it arrived and waits for `release` (to act while the call is out). */
let hold: { arrived: () => void; released: Promise<void> } | null = null;

function lastUser(req: FakeChatRequest): string {
  return req.messages.filter((m) => m.role === 'user').at(-1)!.content;
}

// Two generated scenes, made once and copied into each test's data folder; the server stays up for
// the file, as the provider in every copy points at it.
const seed = seedOnce('cs-e2e-regenerate-seed-', async (dir) => {
  const generate = studioResponder();
  llm = await startFakeLlmServer({
    responder: async (req) => {
      const asked = lastUser(req);
      const instruction = /instruction: "([^"]+)"/.exec(asked)?.[1];
      if (instruction && hold) {
        hold.arrived();
        await hold.released;
      }
      if (instruction && /Rewrite only turn/.test(asked))
        return JSON.stringify({ speaker: 'Beethoven', kind: 'speaking', text: `Enough! (${instruction})` });
      if (instruction)
        return JSON.stringify({
          background: 'The candle gutters; Beethoven has not slept.',
          turns: [
            { speaker: 'Neefe', kind: 'speaking', text: 'Ludwig, the fugue, once more.' },
            { speaker: 'Beethoven', kind: 'speaking', text: `Leave me alone! (${instruction})` },
          ],
        });
      return generate(req);
    },
  });
  await generateWithCli(builtCli(dir), llm.baseURL, { target: 2, perCall: 2, provider: 'Fake LLM' });
});
afterEach(() => {
  hold = null;
});
afterAll(async () => {
  await llm?.close();
});
const session = useServePage('cs-e2e-regenerate-', { width: 1024, height: 700 }, seed);

/** Opens the studio, the Dataset tab and the first scene in the editor; returns the editor. */
async function openFirstScene() {
  const { page, serve } = session;
  await page.goto(serve.url);
  await page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 }).waitFor();
  await page.getByRole('tab', { name: 'Dataset' }).click();
  const rows = page.getByTestId('scene-item');
  await expect.poll(() => rows.count()).toBe(2);
  await rows.first().dblclick();
  return page.getByRole('dialog', { name: 'Scene editor' });
}

/** The revision number the editor's bar shows (as the History counts them, #1 first). */
async function shownRevision(editor: Locator): Promise<number> {
  return Number(/\d+/.exec(await editor.locator('.editor-revision').innerText())?.[0]);
}

describe('regenerate with an instruction in a browser', () => {
  it('rewrites the experience and one turn as revisions the editor can undo', async () => {
    const { page, shot } = session;
    const editor = await openFirstScene();
    const turnText = (n: number) => editor.getByLabel(`Turn ${n} text`);
    await turnText(1).waitFor();
    const oldFirst = await turnText(1).inputValue();
    const oldCount = await editor.locator('[data-turn]').count();
    const before = await shownRevision(editor);

    // The whole experience, with an instruction.
    await editor.getByRole('button', { name: 'Regenerate experience…' }).click();
    const ask = page.getByRole('dialog', { name: 'Regenerate the experience' });
    await ask.getByLabel('Instruction').fill('make him angrier');
    await expect.poll(() => ask.getByLabel('Provider').locator('option:checked').textContent()).toMatch(/Fake LLM/);
    await shot('regenerate-00-instruction-1024x700');
    await ask.getByRole('button', { name: 'Regenerate' }).click();
    await editor
      .getByRole('status')
      .filter({ hasText: `Rewritten by the LLM as revision ${before + 1}` })
      .waitFor();
    await expect.poll(() => turnText(2).inputValue()).toBe('Leave me alone! (make him angrier)');
    expect(await editor.locator('[data-turn]').count()).toBe(2);
    expect(await shownRevision(editor)).toBe(before + 1);
    await shot('regenerate-01-rewritten-1024x700');

    // Undo past the regeneration: the old text is back (unsaved, on top of the new revision).
    await turnText(1).press('Control+z');
    await expect.poll(() => turnText(1).inputValue()).toBe(oldFirst);
    expect(await editor.locator('[data-turn]').count()).toBe(oldCount);
    await editor.locator('.editor-revision').filter({ hasText: 'unsaved edits' }).waitFor();
    await shot('regenerate-02-undone-1024x700');
    await turnText(1).press('Control+Shift+z');
    await expect.poll(() => turnText(2).inputValue()).toBe('Leave me alone! (make him angrier)');

    // History shows the LLM revision with its instruction and prompt version.
    await editor.getByRole('button', { name: 'History' }).click();
    const history = editor.getByRole('region', { name: 'History' });
    const llmRevision = history.getByRole('button', { name: new RegExp(`#${before + 1}.*Rewritten by the LLM`) });
    await llmRevision.waitFor();
    expect(await llmRevision.innerText()).toMatch(/“make him angrier”[\s\S]*prompt builtin@\d+\+regenerate@1/);
    await shot('regenerate-03-history-1024x700');
    await editor.getByRole('button', { name: 'History' }).click();

    // One turn, from its own button.
    await editor.getByRole('button', { name: 'Regenerate turn 2' }).click();
    const askTurn = page.getByRole('dialog', { name: 'Regenerate turn 2' });
    await askTurn.getByLabel('Instruction').fill('he refuses outright');
    await askTurn.getByLabel('Instruction').press('Control+Enter');
    await editor
      .getByRole('status')
      .filter({ hasText: `revision ${before + 2}` })
      .waitFor();
    await expect.poll(() => turnText(2).inputValue()).toBe('Enough! (he refuses outright)');
    expect(await turnText(1).inputValue()).toBe('Ludwig, the fugue, once more.');
    await shot('regenerate-04-turn-1024x700');

    // The jobs are on the Generate tab's cards, marked as regenerations with their instruction.
    await editor.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('tab', { name: 'Generate' }).click();
    const card = page.getByRole('article', { name: 'Regeneration' }).first();
    await card.getByText('“he refuses outright”').waitFor();
    await card.getByText(/rewrite turn 2 of 1 scene/).waitFor();
    await shot('regenerate-05-job-card-1024x700');
  });

  it('keeps a change saved in another window while the rewrite is out, and offers the rewrite as a proposal', async () => {
    const { page, shot } = session;
    const editor = await openFirstScene();
    await editor.getByLabel('Turn 1 text').waitFor();

    let arrived!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    hold = { arrived, released: new Promise<void>((resolve) => (release = resolve)) };
    await editor.getByRole('button', { name: 'Regenerate experience…' }).click();
    const ask = page.getByRole('dialog', { name: 'Regenerate the experience' });
    await ask.getByLabel('Instruction').fill('make him angrier');
    await ask.getByRole('button', { name: 'Regenerate' }).click();
    await editor.getByRole('status').filter({ hasText: 'Regenerating the experience through the LLM' }).waitFor();
    await reached;

    // A second window saves the scene while the call is out.
    const [summary] = (
      await pageInvoke<{ scenes: { id: string }[] }>(page, 'scenes/list', {
        characterId: (await pageInvoke<{ id: string }[]>(page, 'characters/list', {}))[0]!.id,
        limit: 1,
      })
    ).scenes;
    const other = await pageInvoke<{ doc: SceneDoc; revision: number }>(page, 'scenes/open', { id: summary!.id });
    await pageInvoke(page, 'scenes/save', {
      id: summary!.id,
      baseRevision: other.revision,
      doc: { ...other.doc, location: 'The Kärntnertor theatre' },
    });
    release();

    // The other window's change is kept and shown; the rewrite waits in History as a proposal.
    await editor.getByRole('status').filter({ hasText: 'kept as a proposal' }).waitFor();
    await expect.poll(() => editor.getByLabel('Location').inputValue()).toBe('The Kärntnertor theatre');
    const kept = await shownRevision(editor);
    await editor.getByRole('button', { name: 'History' }).click();
    const history = editor.getByRole('region', { name: 'History' });
    await history.getByRole('button', { name: /Proposed by the LLM/ }).click();
    await history.getByText('What the proposal would change in the current').waitFor();
    // Every turn was rewritten: the new turns are whole added lines.
    await expect
      .poll(() => history.locator('ins').allInnerTexts())
      .toContainEqual(expect.stringContaining('Beethoven (speaking): Leave me alone!'));
    await shot('regenerate-06-proposal-1024x700');
    await history.getByRole('button', { name: 'Use this version' }).click();
    await expect.poll(() => editor.getByLabel('Turn 2 text').inputValue()).toBe('Leave me alone! (make him angrier)');
    await expect.poll(() => editor.locator('.editor-revision').innerText()).toBe(`revision ${kept + 1}`);
    await expect.poll(() => history.getByRole('button', { name: /Proposed by the LLM/ }).count()).toBe(0);
    expect(await editor.getByLabel('Location').inputValue()).toBe('The Kärntnertor theatre');
  });
});
