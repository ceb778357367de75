/**
 * Holds the fake MediaWiki server to the API's real answers (recorded in
 * test/support/cases/mediawiki from the documented shapes): for each situation the fake's answer has
 * the same keys and value types, and the studio's reader reads the recorded answers as it reads the fake's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, readAnswer } from '../../../main/core/wikipedia/article';
import { startFakeMediaWiki, type FakeMediaWiki } from '../../support/fake-mediawiki';

const CASES = path.join(__dirname, '../../support/cases/mediawiki');
const recorded = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(CASES, `${name}.json`), 'utf8'));

/** The shape of a JSON value: objects by key, arrays by their first item, leaves by type. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return [value.length > 0 ? shape(value[0]) : null];
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shape(item)]));
  return typeof value;
}

let wiki: FakeMediaWiki;
beforeAll(async () => {
  wiki = await startFakeMediaWiki({
    articles: [
      { lang: 'en', title: 'Ada Lovelace', extract: 'Ada.\n\n\n== Early life ==\nBorn.', revid: 1254000001 },
      { lang: 'en', title: 'Mercury', extract: 'Mercury commonly refers to:', revid: 5, disambiguation: true },
    ],
    redirects: { en: { 'Ada lovelace': 'Ada Lovelace' } },
  });
});
afterAll(() => wiki.close());

async function ask(title: string, mutate?: (url: URL) => void): Promise<unknown> {
  const url = apiUrl(wiki.apiTemplate, { lang: 'en', title });
  mutate?.(url);
  const response = await fetch(url);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return response.json();
}

describe('the fake MediaWiki API answers in the real shapes', () => {
  it.each([
    ['article', 'ada_lovelace'],
    ['missing', 'Xyzzy Quuxford'],
    ['disambiguation', 'Mercury'],
    ['invalid', 'Foo[bar]'],
  ])('%s', async (name, title) => {
    expect(shape(await ask(title))).toEqual(shape(recorded(name)));
  });

  it('an unknown action is an error object', async () => {
    expect(shape(await ask('Ada Lovelace', (url) => url.searchParams.set('action', 'querry')))).toEqual(
      shape(recorded('error')),
    );
  });

  it('the reader reads the recorded answers as it reads the fake', async () => {
    const ref = { lang: 'en', title: 'ada_lovelace' };
    const real = readAnswer(recorded('article'), ref);
    const fake = readAnswer(await ask('ada_lovelace'), ref);
    expect(real).toMatchObject({
      title: 'Ada Lovelace',
      revision: '1254000001',
      url: 'https://en.wikipedia.org/wiki/Ada_Lovelace',
      licence: 'Creative Commons Attribution-Share Alike 4.0',
      licenceUrl: 'https://creativecommons.org/licenses/by-sa/4.0/',
      redirectedFrom: 'Ada lovelace',
    });
    expect(Object.keys(fake).sort()).toEqual(Object.keys(real).sort());
    expect(fake).toMatchObject({
      title: real.title,
      url: real.url,
      licence: real.licence,
      redirectedFrom: 'Ada lovelace',
    });
    // Sections are Markdown headings; the empty References / External links sections are gone.
    expect(real.markdown).toContain('\n## Early life\n');
    expect(real.markdown).toContain('\n### Education\n');
    expect(real.markdown).not.toContain('References');
    for (const name of ['missing', 'disambiguation', 'invalid', 'error'])
      expect(() => readAnswer(recorded(name), ref)).toThrow();
  });
});
