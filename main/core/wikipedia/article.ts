import { StudioFailure } from '../errors';

/**
 * A Wikipedia article through the MediaWiki Action API, one request:
 *
 *   GET <api>?action=query&format=json&formatversion=2&redirects=1&titles=<title>
 *       &prop=extracts|info|revisions|pageprops&explaintext=1&exsectionformat=wiki
 *       &inprop=url&rvprop=ids&ppprop=disambiguation&meta=siteinfo&siprop=rightsinfo
 *
 * Why this query: TextExtracts' plain text with `exsectionformat=wiki` keeps the section headings as
 * `== Heading ==` lines (becoming `##` Markdown headings, so chunks follow sections) without the
 * templates, tables and references that `action=parse` HTML or raw wikitext would bring; `redirects`
 * follows redirects; `info`+`inprop=url` gives the canonical URL, `revisions` the revision id read,
 * `pageprops` marks disambiguation pages, and `siteinfo`'s `rightsinfo` the licence the wiki states.
 */

export const WIKIPEDIA_API = 'https://{lang}.wikipedia.org/w/api.php';
/** The most of an answer read (bytes): the longest articles are a few hundred KB of plain text. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

export interface ArticleRef {
  lang: string;
  title: string;
}

export interface Article {
  title: string;
  lang: string;
  url: string;
  revision: string;
  licence: string | null;
  licenceUrl: string | null;
  /** The title asked for when a redirect led elsewhere. */
  redirectedFrom: string | null;
  /** The article as Markdown: `# Title`, then `##`… headings for its sections. */
  markdown: string;
}

const LANG = /^[a-z][a-z0-9-]{1,24}$/;

/**
 * The language edition and title of `article`, a title (in edition `lang`) or an article URL
 * (`https://de.wikipedia.org/wiki/Ada_Lovelace`, mobile `de.m.…`, or `/w/index.php?title=…`).
 */
export function articleRef(article: string, lang = 'en'): ArticleRef {
  const text = article.trim();
  const wanted = lang.trim().toLowerCase() || 'en';
  if (!LANG.test(wanted)) {
    throw new StudioFailure(
      'invalid_argument',
      `"${lang}" is not a Wikipedia language code (e.g. en, de, fr, zh-yue).`,
    );
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !/^[a-z0-9-]+(\.m)?\.wikipedia\.org\//i.test(text)) {
    const title = text.replace(/_/g, ' ').trim();
    if (!title) throw new StudioFailure('invalid_argument', 'Give the title of a Wikipedia article, or its address.');
    return { lang: wanted, title };
  }
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new StudioFailure('invalid_argument', `"${text.slice(0, 200)}" is not a web address.`);
  }
  const host = /^([a-z0-9-]+)(?:\.m)?\.wikipedia\.org$/i.exec(url.hostname);
  let title: string | null = null;
  if (url.pathname.startsWith('/wiki/')) title = safeDecode(url.pathname.slice('/wiki/'.length));
  else if (url.pathname === '/w/index.php') title = url.searchParams.get('title');
  if (!host || !LANG.test(host[1]!.toLowerCase()) || !title) {
    throw new StudioFailure(
      'invalid_argument',
      `${url.href.slice(0, 200)} is not the address of a Wikipedia article. Use one like https://en.wikipedia.org/wiki/Ada_Lovelace, or type the title.`,
    );
  }
  return { lang: host[1]!.toLowerCase(), title: title.replace(/_/g, ' ').trim() };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The API address of an edition: `{lang}` in `template` replaced. */
export function apiUrl(template: string, ref: ArticleRef): URL {
  const url = new URL(template.replace('{lang}', ref.lang));
  const params: Record<string, string> = {
    action: 'query',
    format: 'json',
    formatversion: '2',
    redirects: '1',
    titles: ref.title,
    prop: 'extracts|info|revisions|pageprops',
    explaintext: '1',
    exsectionformat: 'wiki',
    inprop: 'url',
    rvprop: 'ids',
    ppprop: 'disambiguation',
    meta: 'siteinfo',
    siprop: 'rightsinfo',
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url;
}

/** Reads an article; every failure is a StudioFailure saying what to do. */
export async function fetchArticle(template: string, ref: ArticleRef, userAgent: string): Promise<Article> {
  const url = apiUrl(template, ref);
  const edition = `${ref.lang}.wikipedia.org`;
  let body: string;
  try {
    const response = await fetch(url, {
      headers: { 'User-Agent': userAgent, 'Api-User-Agent': userAgent, Accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) {
      throw new StudioFailure(
        'unavailable',
        `${edition} answered HTTP ${response.status}${response.status === 429 || response.status >= 500 ? ': it is busy; try again in a minute' : ''}.`,
      );
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_ANSWER_BYTES)
      throw new StudioFailure('too_large', `${edition} sent an answer too large to be an article.`);
    body = await response.text();
  } catch (error) {
    if (error instanceof StudioFailure) throw error;
    throw unreachable(error, edition);
  }
  if (body.length > MAX_ANSWER_BYTES)
    throw new StudioFailure('too_large', `${edition} sent an answer too large to be an article.`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new StudioFailure(
      'unavailable',
      `${edition} did not answer like the MediaWiki API (not JSON). Try again later.`,
    );
  }
  return readAnswer(json, ref);
}

function unreachable(error: unknown, edition: string): StudioFailure {
  const cause = (error as { cause?: { code?: string } } | null)?.cause;
  const code = cause?.code ?? (error instanceof Error ? error.name : 'error');
  if (code === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new StudioFailure(
      'unavailable',
      `${edition} did not answer within ${TIMEOUT_MS / 1000} s. Check the connection and try again.`,
    );
  }
  return new StudioFailure(
    'unavailable',
    `Could not reach ${edition} (${code}): this computer seems to be offline, Wikipedia is blocked on this network, or there is no such language edition. ` +
      'Connect to the internet and try again, or save the article as a text file and add it with "Add a profile" (CLI: profiles import).',
  );
}

interface Answer {
  error?: { code?: string; info?: string };
  query?: {
    redirects?: { from: string; to: string }[];
    pages?: {
      title: string;
      ns?: number;
      missing?: boolean;
      invalid?: boolean;
      invalidreason?: string;
      extract?: string;
      fullurl?: string;
      canonicalurl?: string;
      lastrevid?: number;
      revisions?: { revid: number }[];
      pageprops?: Record<string, string>;
    }[];
    rightsinfo?: { url?: string; text?: string };
  };
}

/** The article in an answer of the query above (formatversion=2 shapes). */
export function readAnswer(json: unknown, ref: ArticleRef): Article {
  const answer = json as Answer;
  const edition = `${ref.lang}.wikipedia.org`;
  if (answer.error) {
    throw new StudioFailure(
      'unavailable',
      `${edition} refused the request: ${answer.error.info ?? answer.error.code ?? 'no reason given'}.`,
    );
  }
  const page = answer.query?.pages?.[0];
  if (!page) throw new StudioFailure('unavailable', `${edition} did not answer like the MediaWiki API (no page).`);
  if (page.invalid) {
    throw new StudioFailure(
      'invalid_argument',
      `"${ref.title}" cannot be a Wikipedia title: ${page.invalidreason ?? 'it is invalid'}.`,
    );
  }
  if (page.missing) {
    throw new StudioFailure(
      'not_found',
      `There is no article "${page.title}" on ${edition}. Check the spelling (titles are case-sensitive after the first letter) or the language edition.`,
    );
  }
  const url =
    page.canonicalurl ?? page.fullurl ?? `https://${edition}/wiki/${encodeURIComponent(page.title.replace(/ /g, '_'))}`;
  if (page.pageprops && 'disambiguation' in page.pageprops) {
    throw new StudioFailure(
      'invalid_argument',
      `"${page.title}" on ${edition} is a disambiguation page, a list of articles of that name. Open ${url}, pick the article about your character and use its title or address.`,
    );
  }
  if (page.ns !== undefined && page.ns !== 0) {
    throw new StudioFailure(
      'invalid_argument',
      `"${page.title}" is not an article (it is in namespace ${page.ns}). Use an article's title.`,
    );
  }
  const text = (page.extract ?? '').trim();
  if (!text) throw new StudioFailure('not_found', `The article "${page.title}" on ${edition} has no text to read.`);
  const revision = page.revisions?.[0]?.revid ?? page.lastrevid;
  const redirect = answer.query?.redirects?.find((r) => r.to === page.title);
  return {
    title: page.title,
    lang: ref.lang,
    url,
    revision: revision === undefined ? '' : String(revision),
    licence: answer.query?.rightsinfo?.text?.trim() || null,
    licenceUrl: answer.query?.rightsinfo?.url?.trim() || null,
    redirectedFrom: redirect ? redirect.from : null,
    markdown: toMarkdown(page.title, text),
  };
}

/**
 * The extract with `== Heading ==` lines as Markdown headings (`==` → `##`, `===` → `###`…) under
 * `# Title`, and sections left without text (references, notes: lists the plain text drops) removed.
 */
export function toMarkdown(title: string, extract: string): string {
  const lines = extract.replace(/\r\n?/g, '\n').split('\n');
  const out: { level: number; text: string }[] = [];
  for (const line of lines) {
    const heading = /^(={2,6})\s*(.*?)\s*\1\s*$/.exec(line);
    if (heading) out.push({ level: heading[1]!.length, text: heading[2]! });
    else out.push({ level: 0, text: line });
  }
  // A heading is kept when text follows it before the next heading of its level or above.
  const kept: string[] = [`# ${title}`, ''];
  out.forEach((item, index) => {
    if (item.level === 0) {
      kept.push(item.text);
      return;
    }
    let hasText = false;
    for (let next = index + 1; next < out.length; next++) {
      const later = out[next]!;
      if (later.level > 0 && later.level <= item.level) break;
      if (later.level === 0 && later.text.trim()) {
        hasText = true;
        break;
      }
    }
    if (hasText) kept.push('', `${'#'.repeat(item.level)} ${item.text}`);
  });
  return `${kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
