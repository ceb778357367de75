import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Character } from '../../common/contract';
import { placeholderPng } from '../../main/core/cards/png';
import { cardChunks, pngWith } from '../support/cards';
import { startFakeMediaWiki, type FakeMediaWiki } from '../support/fake-mediawiki';
import { pageInvoke, useServePage } from '../support/serve-page';
import { zip } from '../support/zip';

// Cards and Wikipedia in Chromium against `serve`: a CHARX card imported from the sidebar becomes a
// character with its icon as portrait; "Export card…" downloads a V3 PNG our parser reads; "From
// Wikipedia…" reads an article from a local server answering like the MediaWiki API (serve is
// pointed at it through CHARACTER_STUDIO_WIKIPEDIA_API) and the profile shows its provenance.
// Screenshots of each dialog and the result.

let wiki: FakeMediaWiki;
beforeAll(async () => {
  wiki = await startFakeMediaWiki({
    articles: [
      {
        lang: 'de',
        title: 'Clara Schumann',
        revid: 244000123,
        extract:
          'Clara Josephine Schumann (geb. Wieck; 13. September 1819 in Leipzig; † 20. Mai 1896 in Frankfurt am Main) war eine deutsche Pianistin und Komponistin.\n\n\n== Leben ==\nSie erhielt früh Klavierunterricht bei ihrem Vater Friedrich Wieck.\n\n\n== Werk ==\nIhr Klavierkonzert a-Moll schrieb sie als Jugendliche.\n\n\n== Einzelnachweise ==\n',
      },
    ],
  });
  process.env.CHARACTER_STUDIO_WIKIPEDIA_API = wiki.apiTemplate;
});
afterAll(async () => {
  delete process.env.CHARACTER_STUDIO_WIKIPEDIA_API;
  await wiki.close();
});

const session = useServePage('cs-e2e-cards-', { width: 1280, height: 860 });

/** A 96-pixel portrait, a gradient, so the avatar is visibly a picture (what is tested is the import, not this). */
function portrait(): Buffer {
  return placeholderPng('a portrait of Clara', 96);
}

describe('cards and Wikipedia in a browser', () => {
  it('imports a CHARX card, exports it as a V3 PNG, and adds a profile from Wikipedia', async () => {
    const { page, serve, data } = session;
    await page.goto(serve.url);
    const card = {
      spec: 'chara_card_v3',
      spec_version: '3.0',
      data: {
        name: 'Clara Schumann',
        nickname: 'Clara',
        description: '{{char}} is a concert pianist of the Romantic era.',
        personality: 'Disciplined, warm, proud of her craft.',
        scenario: '{{user}} meets {{char}} after a recital in Leipzig.',
        first_mes: 'You stayed for the encore? Then you must love Schumann.',
        mes_example: '',
        creator_notes: '',
        system_prompt: '',
        post_history_instructions: '',
        alternate_greetings: [],
        tags: ['music'],
        creator: 'Test',
        character_version: '1.0',
        extensions: {},
        group_only_greetings: [],
        assets: [{ type: 'icon', uri: 'embeded://assets/icon/images/main.png', name: 'main', ext: 'png' }],
      },
    };
    const file = path.join(data.dir, 'clara.charx');
    fs.writeFileSync(
      file,
      zip([
        { name: 'card.json', data: Buffer.from(JSON.stringify(card)), deflate: true },
        { name: 'assets/icon/images/main.png', data: portrait() },
      ]),
    );

    // Import from the sidebar.
    await page.getByRole('button', { name: 'Import a card…' }).click();
    const importDialog = page.getByRole('dialog', { name: 'Import a character card' });
    await importDialog.getByLabel('Card file').setInputFiles(file);
    await importDialog.getByText('clara.charx').waitFor();
    await session.shot('cards-import-dialog');
    await importDialog.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('heading', { name: 'Clara Schumann', level: 1 }).waitFor();
    await expect.poll(() => page.locator('.character-header img.avatar').count()).toBe(1);
    await expect.poll(() => page.locator('.sidebar img.avatar').count()).toBe(1);
    await page.getByText('Character card · version 1.0 · by Test').waitFor();

    // A bad card says what is wrong, naming the file.
    const bad = path.join(data.dir, 'photo.png');
    fs.writeFileSync(bad, pngWith({ Comment: 'no card' }));
    await page.getByRole('button', { name: 'Import a card…' }).click();
    const again = page.getByRole('dialog', { name: 'Import a character card' });
    await again.getByLabel('Card file').setInputFiles(bad);
    await again.getByRole('button', { name: 'Import' }).click();
    await again
      .getByRole('alert')
      .getByText(/photo\.png is a picture without a character card/)
      .waitFor();
    await session.shot('cards-import-refused');
    await again.getByRole('button', { name: 'Cancel' }).click();

    // From Wikipedia, by the German article's address.
    await page.getByRole('button', { name: 'From Wikipedia…' }).click();
    const wikiDialog = page.getByRole('dialog', { name: 'A profile from Wikipedia' });
    await wikiDialog.getByLabel('Article title or address').fill('https://de.wikipedia.org/wiki/Clara_Schumann');
    await session.shot('cards-wikipedia-dialog');
    await wikiDialog.getByRole('button', { name: 'Import article' }).click();
    const profile = page.getByRole('article', { name: 'Profile Clara Schumann (Wikipedia de)' });
    await profile.getByText(/revision 244000123 · Creative Commons Attribution-Share Alike 4\.0/).waitFor();
    await profile.getByText('Leben', { exact: false }).first().waitFor();
    await session.shot('cards-wikipedia-profile');

    // Export a V3 PNG: a download our parser reads, in Clara's own portrait.
    await page.getByRole('button', { name: 'Export card…' }).click();
    const exportDialog = page.getByRole('dialog', { name: 'Export a character card' });
    await exportDialog.getByRole('radio', { name: 'V3 PNG' }).check();
    // No trained run yet: the dialog says so in a line instead of a select whose one option is "None".
    expect(await exportDialog.getByRole('combobox').count()).toBe(0);
    expect(await exportDialog.getByTestId('trained-model-none').innerText()).toMatch(/^Trained model\s+None yet/);
    await session.shot('cards-export-dialog');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      exportDialog.getByRole('button', { name: 'Export' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('Clara_Schumann.v3.png');
    const saved = path.join(data.dir, 'out.png');
    await download.saveAs(saved);
    const chunks = cardChunks(fs.readFileSync(saved)) as Record<string, { data: Record<string, unknown> }>;
    expect(chunks.ccv3!.data).toMatchObject({ name: 'Clara Schumann', nickname: 'Clara' });
    expect(chunks.ccv3!.data.creator_notes).toMatch(
      /Wikipedia article "Clara Schumann \(Wikipedia de\)".*Creative Commons/,
    );
    const characters = await pageInvoke<Character[]>(page, 'characters/list', {});
    expect(characters.map((c) => [c.fullName, c.profileCount, c.hasImage])).toEqual([['Clara Schumann', 2, true]]);
    await session.shot('cards-after-export');
  });
});
