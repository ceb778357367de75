/** Profiles from Wikipedia, against a local server answering like the MediaWiki Action API. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId } from '../../../common/contract';
import { Studio } from '../../../main/core/studio';
import { runCliIn } from '../../support/cli';
import { startFakeMediaWiki, type FakeMediaWiki } from '../../support/fake-mediawiki';
import { tempDir } from '../../support/paths';
import { call, callError, createBeethoven } from '../../support/studio';

const LIFE =
  'Ludwig van Beethoven (baptised 17 December 1770 – 26 March 1827) was a German composer and pianist.\n\n\n' +
  '== Life ==\nBeethoven was born in Bonn.\n\n\n=== Vienna ===\nHe moved to Vienna in 1792.\n\n\n' +
  '== Music ==\nHis works span the transition from the Classical period to the Romantic era.\n\n\n' +
  '== References ==\n\n\n== External links ==\n';
const LEBEN =
  'Ludwig van Beethoven (getauft am 17. Dezember 1770 in Bonn; † 26. März 1827 in Wien) war ein deutscher Komponist.\n\n\n' +
  '== Leben ==\nBeethoven wuchs in Bonn auf.\n\n\n== Einzelnachweise ==\n';

let wiki: FakeMediaWiki;
beforeAll(async () => {
  wiki = await startFakeMediaWiki({
    articles: [
      { lang: 'en', title: 'Ludwig van Beethoven', extract: LIFE, revid: 1250000123 },
      { lang: 'de', title: 'Ludwig van Beethoven', extract: LEBEN, revid: 250000777 },
      {
        lang: 'en',
        title: 'Beethoven (disambiguation)',
        extract: 'Beethoven may refer to:',
        revid: 9,
        disambiguation: true,
      },
    ],
    redirects: { en: { Beethoven: 'Ludwig van Beethoven' } },
  });
});
afterAll(() => wiki.close());

let dir: ReturnType<typeof tempDir>;
let studio: Studio;
let characterId: CharacterId;
const open = (api = wiki.apiTemplate) =>
  new Studio({ dataDir: dir.dir, door: 'cli', version: 'test', embeddedThreads: 1, wikipediaApi: api });
beforeEach(async () => {
  dir = tempDir('cs-wiki-');
  studio = open();
  characterId = await createBeethoven(studio);
});
afterEach(async () => {
  await studio.shutdown();
  studio.close();
  dir.cleanup();
});

describe('profiles from Wikipedia', () => {
  it('reads an article by title, sections as headings, with its URL, revision and licence', async () => {
    const before = wiki.requests.length;
    const profile = await call(studio, 'profiles/wikipedia', { characterId, article: 'Ludwig van Beethoven' });
    expect(profile.title).toBe('Ludwig van Beethoven (Wikipedia en)');
    // The lead has no heading (the `# Title` line titles the profile); each section is a chunk.
    expect(profile.chunks.map((c) => c.heading)).toEqual([null, 'Life', 'Vienna', 'Music']);
    expect(profile.chunks.map((c) => c.text).join('\n')).not.toMatch(/References|External links/);
    expect(profile.provenance).toMatchObject({
      kind: 'wikipedia',
      url: 'https://en.wikipedia.org/wiki/Ludwig_van_Beethoven',
      revision: '1250000123',
      licence: 'Creative Commons Attribution-Share Alike 4.0',
      licenceUrl: 'https://creativecommons.org/licenses/by-sa/4.0/',
    });
    expect(profile.sourceName).toBe('https://en.wikipedia.org/wiki/Ludwig_van_Beethoven');
    // One request to the English edition, with the documented query.
    expect(wiki.requests.slice(before)).toEqual([
      expect.objectContaining({
        lang: 'en',
        params: expect.objectContaining({
          action: 'query',
          formatversion: '2',
          redirects: '1',
          prop: 'extracts|info|revisions|pageprops',
          explaintext: '1',
          exsectionformat: 'wiki',
          meta: 'siteinfo',
          siprop: 'rightsinfo',
        }),
      }),
    ]);
  });

  it('takes a URL of another language edition, whose host decides the language', async () => {
    const profile = await call(studio, 'profiles/wikipedia', {
      characterId,
      article: 'https://de.m.wikipedia.org/wiki/Ludwig_van_Beethoven#Leben',
      lang: 'en',
    });
    expect(wiki.requests.at(-1)!.lang).toBe('de');
    expect(profile.title).toBe('Ludwig van Beethoven (Wikipedia de)');
    expect(profile.chunks.map((c) => c.heading)).toEqual([null, 'Leben']);
    expect(profile.provenance).toMatchObject({
      url: 'https://de.wikipedia.org/wiki/Ludwig_van_Beethoven',
      revision: '250000777',
    });
    // --lang for a title
    const byLang = await call(studio, 'profiles/wikipedia', {
      characterId,
      article: 'ludwig_van_Beethoven',
      lang: 'de',
    });
    expect(byLang.provenance?.revision).toBe('250000777');
  });

  it('follows a redirect to the article it names', async () => {
    const profile = await call(studio, 'profiles/wikipedia', { characterId, article: 'Beethoven' });
    expect(profile.provenance?.url).toBe('https://en.wikipedia.org/wiki/Ludwig_van_Beethoven');
    expect(profile.chunks[0]!.text).toContain('German composer');
  });

  it('says so for a missing page, a disambiguation page and an address that is not Wikipedia, saving nothing', async () => {
    const missing = await callError(studio, 'profiles/wikipedia', { characterId, article: 'Ludwig van Beethovn' });
    expect(missing).toMatchObject({ code: 'not_found' });
    expect(missing.message).toMatch(/no article "Ludwig van Beethovn" on en\.wikipedia\.org/);
    const disambiguation = await callError(studio, 'profiles/wikipedia', {
      characterId,
      article: 'Beethoven (disambiguation)',
    });
    expect(disambiguation.message).toMatch(/disambiguation page.*pick the article about your character/);
    const elsewhere = await callError(studio, 'profiles/wikipedia', {
      characterId,
      article: 'https://example.com/wiki/Beethoven',
    });
    expect(elsewhere.message).toMatch(/not the address of a Wikipedia article/);
    const badLang = await callError(studio, 'profiles/wikipedia', { characterId, article: 'X', lang: 'd e' });
    expect(badLang.message).toMatch(/not a Wikipedia language code/);
    expect(await call(studio, 'profiles/list', { characterId })).toEqual([]);
  });

  it('says the computer seems offline when the API cannot be reached', async () => {
    // A port that was just free: nothing listens there.
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await studio.shutdown();
    studio.close();
    studio = open(`http://127.0.0.1:${port}/{lang}/w/api.php`);
    const error = await callError(studio, 'profiles/wikipedia', { characterId, article: 'Ludwig van Beethoven' });
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/Could not reach en\.wikipedia\.org \(ECONNREFUSED\).*offline.*Add a profile/);
    expect(await call(studio, 'profiles/list', { characterId })).toEqual([]);
  });

  it('keeps the provenance with the profile across a restart, and the CLI reads articles too', async () => {
    await call(studio, 'profiles/wikipedia', { characterId, article: 'Ludwig van Beethoven' });
    await studio.shutdown();
    studio.close();
    process.env.CHARACTER_STUDIO_WIKIPEDIA_API = wiki.apiTemplate;
    try {
      const cli = await runCliIn(dir.dir, [
        'profiles',
        'wikipedia',
        'Beethoven',
        'https://de.wikipedia.org/wiki/Ludwig_van_Beethoven',
      ]);
      expect(cli.err).toBe('');
      expect(cli.code).toBe(0);
      expect(cli.out).toMatch(/revision 250000777\), licence: Creative Commons Attribution-Share Alike 4\.0/);
      const offline = await runCliIn(dir.dir, ['profiles', 'wikipedia', 'Beethoven', 'Nobody', '--lang', 'xx']);
      expect(offline.code).toBe(1);
      expect(offline.err).toMatch(/There is no article "Nobody" on xx\.wikipedia\.org/);
    } finally {
      delete process.env.CHARACTER_STUDIO_WIKIPEDIA_API;
    }
    studio = open();
    const profiles = await call(studio, 'profiles/list', { characterId });
    expect(profiles.map((p) => [p.title, p.provenance?.revision, p.provenance?.licence])).toEqual([
      ['Ludwig van Beethoven (Wikipedia en)', '1250000123', 'Creative Commons Attribution-Share Alike 4.0'],
      ['Ludwig van Beethoven (Wikipedia de)', '250000777', 'Creative Commons Attribution-Share Alike 4.0'],
    ]);
  });
});
