import type { CharacterId, ReviewCounts, SceneFacets, SceneFilter } from '../../../common/contract';
import { matchExpression } from '../../../common/search-query';
import type { Db } from '../../store/database';
import { filterCountsRead, type FilterCounts } from '../../store/filter-counts';
import { readNow, SupersededRead, type ReadWorker } from '../../store/read-worker';
import { databaseState, searchExpression } from '../../store/scene-search-plan';
import type { CharacterService } from '../character-service';
import { StudioFailure } from '../errors';

/**
 * `review/counts` and `scenes/facets`: the browser's filter counts, both from one read
 * (store/filter-counts.ts) on the reader thread, so a search over 100,000 scenes never holds the
 * thread that answers requests. The renderer asks for both at once for the same filter: the
 * second joins the read the first started. While a character's counts are still waiting for the
 * reader, newer ones (the search was typed on) replace them: the older request fails with
 * `unavailable` ("ask again") instead of reading what no one will see. A character with fewer than
 * `inlineBelow` scenes (the paper's 1,600, say) is counted on the studio's own connection: a few
 * milliseconds, less than the hop to the reader and its fresh connection.
 */
export class FilterCountsService {
  private readonly reading = new Map<string, Promise<FilterCounts>>();
  /** The last counts read for each character, with the database state they were read at. */
  private readonly last = new Map<CharacterId, { key: string; state: string; counts: FilterCounts }>();

  constructor(
    private readonly db: Db,
    private readonly reader: ReadWorker | null,
    private readonly characters: CharacterService,
    private readonly inlineBelow = INLINE_BELOW,
  ) {}

  async counts(characterId: CharacterId, filter: SceneFilter = {}): Promise<ReviewCounts> {
    return (await this.read(characterId, filter)).counts;
  }

  async facets(characterId: CharacterId, filter: SceneFilter = {}): Promise<SceneFacets> {
    return (await this.read(characterId, filter)).facets;
  }

  private read(characterId: CharacterId, filter: SceneFilter): Promise<FilterCounts> {
    this.characters.get(characterId);
    const key = JSON.stringify([characterId, filter]);
    const running = this.reading.get(key);
    if (running) return running;
    // The same filter again with nothing written since (the other of the two commands, a search
    // typed back): the counts just read.
    const state = databaseState(this.db);
    const known = this.last.get(characterId);
    if (known?.key === key && known.state === state) return Promise.resolve(known.counts);
    // The search's prefixes are expanded here, on the studio's connection (a few ms), so the
    // reader runs plain terms; `undefined`: no search, `null`: nothing can match.
    const words = filter.search === undefined ? null : matchExpression(filter.search);
    const expression = words === null ? undefined : searchExpression(this.db, filter.search!);
    const read = filterCountsRead(characterId, filter, expression);
    const reader = this.scenesUpTo(characterId, this.inlineBelow) < this.inlineBelow ? null : this.reader;
    const rows = reader
      ? reader.read(read.queries, { slot: `filter-counts:${characterId}` })
      : Promise.resolve(readNow(this.db, read.queries));
    const counted = rows
      .then(read.of, (error: unknown) => {
        if (error instanceof SupersededRead)
          throw new StudioFailure(
            'unavailable',
            'Newer filter counts replaced these before they were read; ask again.',
          );
        throw error;
      })
      .then((counts) => {
        this.last.set(characterId, { key, state, counts });
        return counts;
      })
      .finally(() => this.reading.delete(key));
    this.reading.set(key, counted);
    return counted;
  }

  /** The character's scenes, counted no further than `limit` (a bounded read of an index). */
  private scenesUpTo(characterId: CharacterId, limit: number): number {
    return this.db
      .prepare('SELECT count(*) FROM (SELECT 1 FROM scenes WHERE character_id = ? LIMIT ?)')
      .pluck()
      .get(characterId, limit) as number;
  }
}

/** Scenes under which a character's counts are read on the studio's connection (see the class). */
export const INLINE_BELOW = 5_000;
