import type { CallId, CharacterId, EvalSystemId, InterviewId, JudgeDimension, PairSide } from '../../common/contract';
import type { Db } from '../../main/store/database';
import { JudgmentsRepo } from '../../main/store/judgments-repo';

/**
 * Judgments written straight into the judge's table (migration 018) for report tests, the bench and
 * the e2e report: what a judge job leaves after scoring, without asking an LLM. `score` null is an
 * unscored judgment (every ask unreadable).
 */
export interface SeedJudgment {
  interviewId: InterviewId;
  dimension: JudgeDimension;
  score: number | null;
  reasoning?: string;
  model?: string;
  /** The judge prompt's version; judge-v1 unless given. */
  promptVersion?: string;
  /** When it was judged (ms); later ones win unless a judge is chosen. */
  at?: number;
}

/** Writes `judgments` in one transaction on `db` (a studio's, or the file of a running `serve`). */
export function seedJudgments(db: Db, characterId: CharacterId, judgments: readonly SeedJudgment[]): void {
  const repo = new JudgmentsRepo(db);
  let n = 0;
  db.transaction(() => {
    for (const j of judgments) {
      repo.insertJudgment(
        {
          id: `judgment-${j.interviewId}-${j.dimension}-${j.model ?? 'judge'}-${j.promptVersion ?? 'v1'}-${n++}`,
          characterId,
          interviewId: j.interviewId,
          dimension: j.dimension,
          providerId: null,
          provider: 'scripted',
          model: j.model ?? 'judge-model',
          promptVersion: j.promptVersion ?? 'judge-v1',
          score: j.score,
          reasoning: j.reasoning ?? (j.score === null ? null : `The answer earns ${j.score}.`),
          failures:
            j.score === null
              ? [{ attempt: 1, reason: 'missing', message: 'no score in the answer', callId: 'seeded' as CallId }]
              : [],
          callIds: [],
          jobId: null,
        },
        j.at ?? 1_000 + n,
      );
    }
  })();
}

/** A deterministic score 1–7 for (system, question, dimension): spread, but a fixed function of them. */
export function scoreOf(system: string, index: number, dimension: string): number {
  let h = 2166136261;
  for (const c of `${system}/${index}/${dimension}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return 1 + ((h >>> 0) % 7);
}

/** One pairwise comparison as a judge job leaves it: each order's reading (null: unreadable; undefined: not asked yet). */
export interface SeedPair {
  systemA: string;
  systemB: string;
  interviewA: InterviewId;
  interviewB: InterviewId;
  dimension: JudgeDimension;
  ab: PairSide | null | undefined;
  ba: PairSide | null | undefined;
  model?: string;
  /** The pairwise prompt's version; pairwise-v1 unless given. */
  promptVersion?: string;
}

/** Writes pairwise comparisons (migration 018) in one transaction, as `seedJudgments` writes scores. */
export function seedPairs(db: Db, characterId: CharacterId, pairs: readonly SeedPair[]): void {
  const repo = new JudgmentsRepo(db);
  let n = 0;
  db.transaction(() => {
    for (const p of pairs) {
      const id = repo.ensurePair(
        {
          id: `pair-${p.promptVersion ?? 'v1'}-${n}`,
          characterId,
          systemA: p.systemA as EvalSystemId,
          systemB: p.systemB as EvalSystemId,
          interviewA: p.interviewA,
          interviewB: p.interviewB,
          dimension: p.dimension,
          providerId: null,
          provider: 'scripted',
          model: p.model ?? 'judge-model',
          promptVersion: p.promptVersion ?? 'pairwise-v1',
          jobId: null,
        },
        1_000 + n++,
      );
      for (const order of ['ab', 'ba'] as const) {
        const side = p[order];
        if (side === undefined) continue;
        repo.setOrder(id, order, {
          side,
          reasoning: side === null ? null : `Order ${order}: ${side}.`,
          failures:
            side === null ? [{ attempt: 1, reason: 'missing', message: 'no verdict', callId: 'seeded' as CallId }] : [],
          callIds: [],
        });
      }
    }
  })();
}
