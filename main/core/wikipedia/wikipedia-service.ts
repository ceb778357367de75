import type { Profile, WikipediaImport } from '../../../common/contract';
import type { Clock } from '../clock';
import type { ProfileService } from '../profile-service';
import { checkSize } from '../profile-text';
import { articleRef, fetchArticle } from './article';

export interface WikipediaServiceOptions {
  /** The Action API's address with `{lang}` for the edition (article.ts WIKIPEDIA_API; a local fake in tests). */
  apiTemplate: string;
  /** Sent as User-Agent, as Wikimedia's policy asks of every client. */
  userAgent: string;
}

/** Profiles from Wikipedia articles, with the article's URL, revision and licence as provenance. */
export class WikipediaService {
  constructor(
    private readonly profiles: ProfileService,
    private readonly clock: Clock,
    private readonly options: WikipediaServiceOptions,
  ) {}

  async import(request: WikipediaImport): Promise<Profile> {
    const ref = articleRef(request.article, request.lang);
    const article = await fetchArticle(this.options.apiTemplate, ref, this.options.userAgent);
    checkSize(Buffer.byteLength(article.markdown, 'utf8'), `The article "${article.title}"`);
    return this.profiles.importPrepared(
      request.characterId,
      {
        raw: article.markdown,
        markdown: true,
        provenance: {
          kind: 'wikipedia',
          url: article.url,
          revision: article.revision || null,
          licence: article.licence,
          licenceUrl: article.licenceUrl,
          author: null,
          retrievedAt: this.clock.now(),
        },
      },
      article.url,
      request.title?.trim() || `${article.title} (Wikipedia ${article.lang})`,
    );
  }
}
