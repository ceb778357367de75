import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server answering like the MediaWiki Action API (`action=query`, formatversion=2) of
 * several language editions at `/<lang>/w/api.php`, for the query main/core/wikipedia/article.ts
 * sends: titles normalised (underscores, first letter upper case), redirects followed when
 * `redirects` is set, `missing` / `invalid` pages, disambiguation `pageprops`, the `rightsinfo` of
 * siteinfo, and `error` objects for a request it does not understand. Its shapes are held to the
 * recorded answers in test/support/cases/mediawiki by test/unit/wikipedia/fake-mediawiki.contract.test.ts.
 */

export interface FakeArticle {
  lang: string;
  title: string;
  /** Plain text with `== Heading ==` lines, as TextExtracts' `exsectionformat=wiki` writes it. */
  extract: string;
  revid: number;
  disambiguation?: boolean;
}

export interface FakeMediaWikiOptions {
  articles: FakeArticle[];
  /** Redirects per edition: `{ en: { 'Ada Byron': 'Ada Lovelace' } }`. */
  redirects?: Record<string, Record<string, string>>;
}

export interface FakeMediaWiki {
  /** The API template for the studio: `http://127.0.0.1:<port>/{lang}/w/api.php`. */
  apiTemplate: string;
  /** Every request's query parameters, in order. */
  requests: { lang: string; params: Record<string, string> }[];
  close(): Promise<void>;
}

const RIGHTS = {
  url: 'https://creativecommons.org/licenses/by-sa/4.0/',
  text: 'Creative Commons Attribution-Share Alike 4.0',
};

/** MediaWiki's title normalisation (the part an article title meets). */
function normalise(title: string): string {
  const spaced = title.replace(/_/g, ' ').replace(/\s+/g, ' ').trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

function answer(options: FakeMediaWikiOptions, lang: string, params: Record<string, string>): unknown {
  if (params.action !== 'query' || params.format !== 'json') {
    return {
      error: {
        code: 'badvalue',
        info: `Unrecognized value for parameter "action": ${params.action ?? ''}.`,
        docref: `See http://${lang}.wikipedia.org/w/api.php for API usage.`,
      },
      servedby: 'fake-mediawiki',
    };
  }
  const asked = params.titles ?? '';
  const query: Record<string, unknown> = {};
  if (params.meta === 'siteinfo' && params.siprop === 'rightsinfo') query.rightsinfo = RIGHTS;
  if (/[[\]{}|#<>]/.test(asked) || !asked.trim()) {
    const bad = /[[\]{}|#<>]/.exec(asked)?.[0];
    query.pages = [
      {
        title: asked,
        invalidreason: bad
          ? `The requested page title contains invalid characters: "${bad}".`
          : 'The requested page title is empty or contains only the name of a namespace.',
        invalid: true,
      },
    ];
    return { batchcomplete: true, query: { pages: query.pages, ...(query.rightsinfo ? { rightsinfo: RIGHTS } : {}) } };
  }
  let title = normalise(asked);
  if (title !== asked) query.normalized = [{ fromencoded: false, from: asked, to: title }];
  const target = params.redirects ? options.redirects?.[lang]?.[title] : undefined;
  if (target) {
    query.redirects = [{ from: title, to: target }];
    title = target;
  }
  const article = options.articles.find((a) => a.lang === lang && a.title === title);
  if (!article) {
    query.pages = [{ ns: 0, title, missing: true }];
  } else {
    const path = `/wiki/${encodeURIComponent(title.replace(/ /g, '_'))}`;
    const origin = `https://${lang}.wikipedia.org`;
    query.pages = [
      {
        pageid: 1000 + options.articles.indexOf(article),
        ns: 0,
        title,
        contentmodel: 'wikitext',
        pagelanguage: lang,
        pagelanguagehtmlcode: lang,
        pagelanguagedir: 'ltr',
        touched: '2026-11-20T10:00:00Z',
        lastrevid: article.revid,
        length: Buffer.byteLength(article.extract),
        fullurl: `${origin}${path}`,
        editurl: `${origin}/w/index.php?title=${encodeURIComponent(title.replace(/ /g, '_'))}&action=edit`,
        canonicalurl: `${origin}${path}`,
        revisions: [{ revid: article.revid, parentid: article.revid - 1 }],
        ...(article.disambiguation && { pageprops: { disambiguation: '' } }),
        extract: article.extract,
      },
    ];
  }
  const ordered: Record<string, unknown> = {};
  for (const key of ['normalized', 'redirects', 'pages', 'rightsinfo']) if (key in query) ordered[key] = query[key];
  return { batchcomplete: true, query: ordered };
}

export async function startFakeMediaWiki(options: FakeMediaWikiOptions): Promise<FakeMediaWiki> {
  const requests: FakeMediaWiki['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = /^\/([a-z][a-z0-9-]*)\/w\/api\.php$/.exec(url.pathname);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    const params = Object.fromEntries(url.searchParams);
    requests.push({ lang: route[1]!, params });
    const body = JSON.stringify(answer(options, route[1]!, params));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiTemplate: `http://127.0.0.1:${port}/{lang}/w/api.php`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
