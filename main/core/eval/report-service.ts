/**
 * Reports over judged interviews (`eval/report*`): per system × dimension the mean, a 95%
 * bootstrap interval and the count, single- and multi-turn apart; the drill-down to every answer;
 * two systems side by side with what changed between them; exports as JSON, CSV and HTML.
 *
 * Reads only. A report over 4 systems × 857 answers × 4 dimensions builds in tens of
 * milliseconds (bench: test/bench/eval-report.ts), so it runs on the door's thread.
 */
import { writeFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type {
  Character,
  CharacterId,
  EvalReport,
  EvalReportRequest,
  ReportAnswer,
  ReportAnswers,
  ReportAnswersRequest,
  ReportCompareRequest,
  ReportComparison,
  ReportExport,
  ReportExportRequest,
  ReportMode,
  ReportSystem,
  ScoreSummary,
} from '../../../common/contract';
import type { EvalReportRepo, InterviewRow } from '../../store/eval-report-repo';
import type { Clock } from '../clock';
import { StudioFailure } from '../errors';
import {
  buildCells,
  dimensionChanges,
  judgeMeans,
  judgeOf,
  judgmentOf,
  largestMoves,
  movedQuestions,
  pickJudgments,
  questionKeyOf,
  REPORT_DIMENSIONS,
  reportJudges,
} from './report-build';
import { reportPairwise } from './report-pairwise';
import { reportCsv, reportHtml } from './report-html';
import { DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED } from './stats';

const MODES: ReportMode[] = ['single', 'multi'];
/** Bootstrap resamples accepted: enough for a stable 95% bound, few enough to answer at once. */
const MAX_RESAMPLES = 100_000;

interface Scope {
  character: Character;
  systems: ReportSystem[];
  modes: ReportMode[];
  interviews: InterviewRow[];
  /** The judge (or judge model) the request chose; null: every judge. */
  judge: string | null;
}

export class EvalReportService {
  constructor(
    private readonly repo: EvalReportRepo,
    private readonly character: (id: CharacterId) => Character,
    private readonly clock: Clock,
  ) {}

  report(request: EvalReportRequest): EvalReport {
    const started = Date.now();
    const scope = this.scope(request.characterId, request.systemIds, request.topics, request.modes, request.judge);
    const resamples = request.resamples ?? DEFAULT_RESAMPLES;
    if (!Number.isInteger(resamples) || resamples < 1 || resamples > MAX_RESAMPLES) {
      throw new StudioFailure(
        'invalid_argument',
        `resamples must be a whole number from 1 to ${MAX_RESAMPLES}; got ${resamples}.`,
      );
    }
    const seed = request.seed ?? DEFAULT_SEED;
    const judgments = this.repo.judgments(
      scope.character.id,
      scope.systems.map((s) => s.id),
    );
    const systemIds = scope.systems.map((s) => s.id);
    // Each judge's cells apart: a mean over two judges' scores would be neither judge's.
    const cells = reportJudges(scope.interviews, judgments, scope.judge).flatMap((judge) =>
      buildCells(scope.systems, scope.modes, scope.interviews, judgments, judge, { resamples, seed }),
    );
    return {
      characterId: scope.character.id,
      characterName: scope.character.fullName,
      generatedAt: this.clock.now(),
      systems: scope.systems,
      dimensions: REPORT_DIMENSIONS,
      cells,
      topics: this.repo.topics(scope.character.id),
      judges: [...new Set(judgments.map(judgeOf))].sort(),
      // Comparisons have their own prompt: a chosen judge's are its model's.
      pairwise: reportPairwise(
        this.repo.pairs(scope.character.id, systemIds),
        systemIds,
        scope.interviews,
        scope.judge && (judgments.find((j) => judgeOf(j) === scope.judge)?.judgeModel ?? scope.judge),
      ),
      settings: {
        modes: scope.modes,
        topics: request.topics?.length ? request.topics : null,
        judge: scope.judge,
        resamples,
        level: DEFAULT_LEVEL,
        seed,
      },
      durationMs: Date.now() - started,
    };
  }

  /**
   * `eval/judgments/summary`: every judge's mean scores (a judge being a model and a prompt
   * version) over the character's live systems, computed as the report's cells are.
   */
  scoreSummary(characterId: CharacterId): ScoreSummary[] {
    const scope = this.scope(characterId, undefined, undefined, undefined, undefined);
    const systemIds = scope.systems.map((s) => s.id);
    return judgeMeans(scope.interviews, this.repo.judgments(scope.character.id, systemIds));
  }

  answers(request: ReportAnswersRequest): ReportAnswers {
    const scope = this.scope(request.characterId, [request.systemId], request.topics, [request.mode], request.judge);
    let answers = this.answersOf(scope, request.systemId, request.mode);
    if (request.questionKey) answers = answers.filter((a) => a.questionKey === request.questionKey);
    return { systemId: request.systemId, mode: request.mode, answers };
  }

  compare(request: ReportCompareRequest): ReportComparison {
    if (request.a === request.b) {
      throw new StudioFailure('invalid_argument', 'Choose two different systems to compare.');
    }
    const report = this.report({
      characterId: request.characterId,
      systemIds: [request.a, request.b],
      modes: [request.mode],
      ...(request.topics && { topics: request.topics }),
      ...(request.judge && { judge: request.judge }),
      ...(request.resamples && { resamples: request.resamples }),
      ...(request.seed !== undefined && { seed: request.seed }),
    });
    const scope = this.scope(
      request.characterId,
      [request.a, request.b],
      request.topics,
      [request.mode],
      request.judge,
    );
    const a = this.answersOf(scope, request.a, request.mode);
    const b = this.answersOf(scope, request.b, request.mode);
    // Moves within one judge's scores: judge by judge, then the largest of all.
    const judges = [...new Set(report.cells.map((c) => c.judge))].filter((j): j is string => j !== null);
    const moved = largestMoves(
      judges.flatMap((judge) =>
        movedQuestions(
          this.answersOf({ ...scope, judge }, request.a, request.mode),
          this.answersOf({ ...scope, judge }, request.b, request.mode),
          judge,
        ),
      ),
    );
    const byKey = new Map<string, { a: ReportAnswer | null; b: ReportAnswer | null; head: ReportAnswer }>();
    for (const x of a) if (!byKey.has(x.questionKey)) byKey.set(x.questionKey, { a: x, b: null, head: x });
    for (const y of b) {
      const pair = byKey.get(y.questionKey);
      if (pair) pair.b ??= y;
      else byKey.set(y.questionKey, { a: null, b: y, head: y });
    }
    return {
      a: report.systems[0]!,
      b: report.systems[1]!,
      mode: request.mode,
      changes: dimensionChanges(report.cells, request.a, request.b, request.mode),
      moved,
      pairs: [...byKey.values()].map(({ a: x, b: y, head }) => ({
        questionKey: head.questionKey,
        question: head.question,
        topicId: head.topicId,
        a: x,
        b: y,
      })),
    };
  }

  async export(request: ReportExportRequest): Promise<ReportExport> {
    if (request.out !== undefined && !isAbsolute(request.out)) {
      throw new StudioFailure('invalid_argument', `Write the report to an absolute path; got ${request.out}.`);
    }
    const report = this.report(request);
    let content: string;
    if (request.format === 'csv') content = reportCsv(report);
    else if (request.format === 'json') content = `${JSON.stringify(report, null, 2)}\n`;
    else {
      const scope = this.scope(request.characterId, request.systemIds, request.topics, request.modes, request.judge);
      const answers = new Map<string, ReportAnswer[]>();
      for (const system of scope.systems) {
        answers.set(
          system.id,
          scope.modes.flatMap((m) => this.answersOf(scope, system.id, m)),
        );
      }
      content = reportHtml(report, answers);
    }
    const bytes = Buffer.byteLength(content);
    if (request.out === undefined) return { format: request.format, path: null, content, bytes };
    await writeFile(request.out, content).catch((error: NodeJS.ErrnoException) => {
      throw new StudioFailure(
        'invalid_argument',
        `Could not write ${request.out}: ${error.code ?? error.message}. Choose a folder you can write to.`,
      );
    });
    return { format: request.format, path: request.out, content: null, bytes };
  }

  private scope(
    characterId: CharacterId,
    systemIds: readonly string[] | undefined,
    topics: readonly string[] | undefined,
    modes: readonly ReportMode[] | undefined,
    judge: string | undefined,
  ): Scope {
    const character = this.character(characterId);
    const all = this.repo.systems(character.id);
    let chosen = all;
    if (systemIds?.length) {
      chosen = systemIds.map((id) => {
        const system = all.find((s) => s.id === id);
        if (!system) {
          throw new StudioFailure(
            'not_found',
            `${character.shortName} has no system ${id}. List them with eval/systems/list.`,
          );
        }
        return system;
      });
    }
    const wanted = modes?.length ? MODES.filter((m) => modes.includes(m)) : MODES;
    const topicSet = topics?.length ? new Set(topics) : null;
    const interviews = this.repo
      .interviews(
        character.id,
        chosen.map((s) => s.id),
      )
      .filter((i) => wanted.includes(i.mode) && (!topicSet || topicSet.has(i.topicId)));
    const systems = chosen.map((s): ReportSystem => {
      const own = interviews.filter((i) => i.systemId === s.id);
      return {
        id: s.id,
        name: s.label,
        kind: s.kind,
        answers: {
          single: own.filter((i) => i.mode === 'single').length,
          multi: own.filter((i) => i.mode === 'multi').length,
        },
        nonstop: own.filter((i) => i.nonstop).length,
      };
    });
    return { character, systems, modes: wanted, interviews, judge: judge ?? null };
  }

  private answersOf(scope: Scope, systemId: string, mode: ReportMode): ReportAnswer[] {
    const interviews = scope.interviews.filter((i) => i.systemId === systemId && i.mode === mode);
    const ids = interviews.map((i) => i.id);
    const turns = new Map<string, ReportAnswer['turns']>();
    for (const t of this.repo.turns(ids)) {
      const list = turns.get(t.interviewId) ?? [];
      list.push({ by: t.role, action: t.action, content: t.text });
      turns.set(t.interviewId, list);
    }
    const picked = pickJudgments(this.repo.judgments(scope.character.id, [systemId]), scope.judge);
    return interviews.map((i) => ({
      questionKey: questionKeyOf(i.question),
      question: i.question,
      topicId: i.topicId,
      mode,
      interviewId: i.id,
      turns: turns.get(i.id) ?? [],
      nonstop: i.nonstop,
      judgments: REPORT_DIMENSIONS[mode].flatMap((dimension) => {
        const j = judgmentOf(picked, i.id, dimension);
        return j ? [{ dimension, score: j.score, reasoning: j.reasoning, judgeModel: j.judgeModel }] : [];
      }),
    }));
  }
}
