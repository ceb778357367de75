import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';
import { baselineConversation, beethovenWithFakeProvider, pageInvoke, useServePage } from '../support/serve-page';

/**
 * The chat window at the sizes the studio supports (1024×700 and 1360×860), light and dark, with a
 * long title and a long conversation: the title has the header's width (at 1024 px it was cut to
 * ~15 characters beside the tools), the setup line and the tools share one row under it, the tools
 * stay inside the pane, the composer stays in view and nothing reaches past the window's edge.
 */

const session = useServePage('cs-e2e-chat-layout-', { width: 1024, height: 700 });
const api = <T>(name: string, arg: object): Promise<T> => pageInvoke<T>(session.page, name, arg);

const TITLE = 'An evening at the piano in Vienna while the French guns fire outside';
let server: FakeLlmServer;
beforeEach(async () => {
  server = await startFakeLlmServer({
    responder: (req) => ({
      text: `You ask “${req.messages.at(-1)?.content ?? ''}”. The guns have not stopped since noon, and I have pillows over my ears so that what is left of my hearing is spared; sit, and I will play you what I have.`,
    }),
  });
});
afterEach(async () => {
  await server.close();
});

describe('the chat window', () => {
  it('gives a long title the header’s width and keeps a long conversation in the window, at both sizes, light and dark', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    await baselineConversation(
      page,
      server.baseURL,
      Array.from({ length: 12 }, (_, i) => `Question ${i + 1}: how are you?`),
      { location: 'Vienna, May 1809', status: 'French guns outside; a visitor finds him at the piano.' },
      TITLE,
    );

    for (const [width, height] of [
      [1024, 700],
      [1360, 860],
    ] as const) {
      for (const theme of ['light', 'dark'] as const) {
        await api('appearance/set', { theme });
        await page.setViewportSize({ width, height });
        await page.reload();
        await page.getByRole('tab', { name: 'Chat' }).click();
        const pane = page.getByRole('region', { name: `Conversation: ${TITLE}` });
        const title = pane.getByRole('heading', { name: TITLE, level: 2 });
        await title.waitFor();
        await page.getByLabel('Message to Beethoven').waitFor();
        await session.shot(`chat-layout-${width}-${theme}`);
        const where = `${width}×${height} ${theme}`;
        // The whole title shows: nothing clipped by the line clamp or an ellipsis.
        expect(await title.evaluate((h) => h.scrollHeight <= h.clientHeight + 1), where).toBe(true);
        const paneBox = (await pane.boundingBox())!;
        const titleBox = (await title.boundingBox())!;
        expect(titleBox.width, where).toBeGreaterThan(paneBox.width * 0.5);
        // The tools and the composer inside the pane and the window.
        const tools = (await pane.locator('.chat-pane-tools').boundingBox())!;
        expect(tools.x + tools.width, where).toBeLessThanOrEqual(paneBox.x + paneBox.width + 0.5);
        // Below the title, one row: the setup line (one line, its whole text in the tooltip) beside the tools.
        const meta = pane.getByTestId('conversation-setup');
        const metaBox = (await meta.boundingBox())!;
        expect(metaBox.y, where).toBeLessThan(tools.y + tools.height);
        expect(tools.y, where).toBeLessThan(metaBox.y + metaBox.height);
        expect(await meta.evaluate((p) => p.getClientRects().length === 1 && p.clientHeight < 24), where).toBe(true);
        expect(await meta.getAttribute('title'), where).toContain('Vienna, May 1809');
        const composer = (await page.getByLabel('Message to Beethoven').boundingBox())!;
        expect(composer.y + composer.height, where).toBeLessThanOrEqual(height);
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), where).toBe(true);
        // A long conversation scrolls inside its list, not the page.
        expect(
          await pane.getByRole('list', { name: 'Messages' }).evaluate((l) => l.scrollHeight > l.clientHeight),
        ).toBe(true);
      }
    }

    // The new-conversation form: its labels, the Scene fieldset's legend included, share one left edge
    // (Model, beside Talk to in one row, starts the row's second column, level with Talk to).
    await page.getByRole('button', { name: 'New conversation' }).click();
    const form = page.getByRole('form', { name: 'New conversation' });
    await form.getByText('Talk to', { exact: true }).waitFor();
    const tops = await form
      .locator('.target-row .field > span')
      .evaluateAll((labels) => labels.map((l) => Math.round(l.getBoundingClientRect().top)));
    expect(tops).toHaveLength(2);
    expect(new Set(tops).size, JSON.stringify(tops)).toBe(1);
    const lefts = await form.locator('.field > span, legend').evaluateAll((labels) =>
      labels
        .filter((l) => !l.closest('.target-row') || l.parentElement === l.closest('.target-row')?.firstElementChild)
        .map((l) => {
          // Where the text starts, not the box: a legend's box is in line, its text 2 px in.
          const text = document.createRange();
          text.selectNodeContents(l);
          return Math.round(text.getBoundingClientRect().left);
        }),
    );
    expect(lefts.length).toBeGreaterThan(2);
    expect(new Set(lefts).size, JSON.stringify(lefts)).toBe(1);
  });

  it('keeps the character’s header and tabs where they are when the user switches to Chat, on a wide window', async () => {
    const { page } = session;
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(session.serve.url);
    await beethovenWithFakeProvider(page, server.baseURL);
    const heading = page.getByRole('heading', { name: 'Ludwig van Beethoven', level: 1 });
    const places: Record<string, { x: number; right: number }> = {};
    for (const tab of ['Profile', 'Dataset', 'Chat', 'Evaluate']) {
      await page.getByRole('tab', { name: tab }).click();
      await page.getByRole('tab', { name: tab, selected: true }).waitFor();
      const title = (await heading.boundingBox())!;
      const tabs = (await page.getByRole('tablist').first().boundingBox())!;
      places[tab] = { x: Math.round(title.x), right: Math.round(tabs.x + tabs.width) };
    }
    // Before, the Chat tab's view was 1280 px wide and the others 980: the header moved 150 px.
    expect(new Set(Object.values(places).map((p) => p.x)).size, JSON.stringify(places)).toBe(1);
    expect(new Set(Object.values(places).map((p) => p.right)).size, JSON.stringify(places)).toBe(1);
  });
});
