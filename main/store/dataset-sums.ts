import type { CharacterId, DatasetStats, FormatProblemCode } from '../../common/contract';
import type { Db } from './database';
import { readNow, type ReadQuery, type ReadWorker } from './read-worker';

/**
 * Sums over a character's scenes, from the figures stored on each (scene-figures.ts): the Dataset
 * tab's totals and what the training estimate needs. Each is a set of
 * queries and a function of their rows, so the same SQL runs on the studio's connection (`DatasetRepo`,
 * for callers that must answer at once) or on the reader thread (`DatasetSums`, for the doors'
 * requests: at 100,000 scenes a sum takes tens of milliseconds of SQLite's time).
 */

export interface TrainingFigures {
  examples: number;
  trainChars: number;
  otherThinking: number;
  scenesWithOtherThinking: number;
}

interface Sum<T> {
  queries: ReadQuery[];
  of: (rows: unknown[]) => T;
}

/** The Dataset tab's totals: one covering index, no experience read. */
export function statsSum(characterId: CharacterId): Sum<DatasetStats> {
  return {
    queries: [
      {
        sql: `SELECT count(*) AS scenes, coalesce(sum(protective), 0) AS protectiveScenes,
                coalesce(sum(has_experience), 0) AS experiences, coalesce(sum(turn_count), 0) AS turns,
                coalesce(sum(word_count), 0) AS words, coalesce(sum(problem_count > 0), 0) AS experiencesWithProblems
              FROM scenes WHERE character_id = ?`,
        params: [characterId],
        all: false,
      },
      {
        sql: 'SELECT code, sum(count) AS n FROM scene_problem_counts WHERE character_id = ? GROUP BY code',
        params: [characterId],
        all: true,
      },
    ],
    of: ([row, byCode]) => {
      const problems: Partial<Record<FormatProblemCode, number>> = {};
      for (const { code, n } of byCode as { code: FormatProblemCode; n: number }[]) problems[code] = n;
      return { ...(row as Omit<DatasetStats, 'problems'>), problems };
    },
  };
}

/**
 * What the training estimate needs: scenes with an experience and not rejected (what
 * `trainableScenePages` exports), their training length, and other speakers' thinking turns the
 * export will leave out.
 */
export function trainingSum(characterId: CharacterId): Sum<TrainingFigures> {
  return {
    queries: [
      {
        sql: `SELECT count(*) AS examples, coalesce(sum(train_chars), 0) AS trainChars,
                coalesce(sum(other_thinking), 0) AS otherThinking, coalesce(sum(other_thinking > 0), 0) AS scenesWithOtherThinking
              FROM scenes WHERE character_id = ? AND has_experience = 1 AND review_status != 'rejected'`,
        params: [characterId],
        all: false,
      },
    ],
    of: ([row]) => row as TrainingFigures,
  };
}

/** What a generation estimate starts from: the character's scenes, protective ones, and scenes still waiting for their experience. */
export interface SceneCounts {
  scenes: number;
  protective: number;
  /** Normal scenes without their experience and not rejected (rejected ones never get one). */
  withoutExperience: number;
}

export function sceneCountsSum(characterId: CharacterId): Sum<SceneCounts> {
  return {
    queries: [
      {
        sql: `SELECT coalesce(sum(protective = 0), 0) AS scenes, coalesce(sum(protective), 0) AS protective,
                coalesce(sum(protective = 0 AND has_experience = 0 AND review_status != 'rejected'), 0) AS withoutExperience
              FROM scenes WHERE character_id = ?`,
        params: [characterId],
        all: false,
      },
    ],
    of: ([row]) => row as SceneCounts,
  };
}

/** A sum on the studio's own connection, answered at once. */
export function sumNow<T>(db: Db, sum: Sum<T>): T {
  return sum.of(readNow(db, sum.queries));
}

/** Sums for the doors' requests, read on the reader thread when there is one (else on `db`). */
export class DatasetSums {
  constructor(
    private readonly db: Db,
    private readonly reader: ReadWorker | null,
  ) {}

  stats(characterId: CharacterId): Promise<DatasetStats> {
    return this.read(statsSum(characterId));
  }

  training(characterId: CharacterId): Promise<TrainingFigures> {
    return this.read(trainingSum(characterId));
  }

  sceneCounts(characterId: CharacterId): Promise<SceneCounts> {
    return this.read(sceneCountsSum(characterId));
  }

  private async read<T>(sum: Sum<T>): Promise<T> {
    if (!this.reader) return sumNow(this.db, sum);
    return sum.of(await this.reader.read(sum.queries));
  }
}
