import fs from 'node:fs';
import type { CharacterId, EvalSystem, InterviewId, Question } from '../../common/contract';
import type { Studio } from '../../main/core/studio';
import { EvalRepo } from '../../main/store/eval-repo';
import { fixture } from './paths';
import { call } from './studio';

/**
 * Finished interviews for judge tests and benchmarks, written through the evaluation repository as
 * an import would leave them (an `imported` system, `done` interviews with their turns): the judge
 * reads them exactly as it reads interviews its own jobs ran.
 */

/** One answer as the paper's single-turn result files hold it. */
export interface PaperAnswer {
  topic_id: string;
  question: string;
  reply: { role: string; action: string; content: string }[] | { role: string; action: string; content: string };
}

/** The paper's single-turn answers of a system (`Beethoven_sft`, `Beethoven_chatgpt`). */
export function paperAnswers(name: 'Beethoven_sft' | 'Beethoven_chatgpt'): PaperAnswer[] {
  return JSON.parse(fs.readFileSync(fixture(`interview_single/${name}.json`), 'utf8')) as PaperAnswer[];
}

/** A hand set holding these questions (single-turn, or multi-turn goals), current version. */
export async function questionSet(
  studio: Studio,
  characterId: CharacterId,
  name: string,
  questions: { topicId: string; text: string; mode: 'single' | 'multi' }[],
): Promise<Question[]> {
  const detail = await call(studio, 'eval/questions/create', { characterId, name, questions });
  return detail.questions;
}

/**
 * An imported system whose interviews answer `questions` in order; `answers[i]` is the list of
 * rounds of interview i: each round the interviewer's question (round 1: the question itself) and
 * the character's turns. Returns the system and its interview ids, in order.
 */
export async function seedSystem(
  studio: Studio,
  characterId: CharacterId,
  label: string,
  questions: Question[],
  answers: { interviewer?: string; character: { action: 'speaking' | 'thinking'; text: string }[] }[][],
): Promise<{ system: EvalSystem; interviews: InterviewId[] }> {
  const system = await call(studio, 'eval/systems/create', { characterId, kind: 'imported', label, source: label });
  const repo = new EvalRepo(studio.db);
  const interviews: InterviewId[] = [];
  const now = Date.now();
  studio.db.transaction(() => {
    questions.forEach((question, i) => {
      const id = `${label}-${i}` as InterviewId;
      const rounds = answers[i] ?? [];
      repo.insertInterview(
        {
          id,
          characterId,
          jobId: null,
          systemId: system.id,
          question,
          mode: question.mode,
          rounds: rounds.length,
          status: 'done',
        },
        now,
      );
      let seq = 0;
      repo.insertTurns(
        rounds.flatMap((round, r) => [
          turn(id, r + 1, seq++, 'interviewer', 'Man', 'speaking', round.interviewer ?? question.text),
          ...round.character.map((t) => turn(id, r + 1, seq++, 'character', 'Beethoven', t.action, t.text)),
        ]),
        now,
      );
      interviews.push(id);
    });
  })();
  return { system, interviews };
}

function turn(
  interviewId: InterviewId,
  round: number,
  seq: number,
  role: 'interviewer' | 'character',
  speaker: string,
  action: 'speaking' | 'thinking',
  text: string,
) {
  return {
    id: `${interviewId}-t${seq}`,
    interviewId,
    round,
    seq,
    role,
    speaker,
    action,
    rawAction: null,
    text,
    nonstop: false,
    source: null,
    callId: null,
  };
}

/** The paper's single-turn answers as rounds for `seedSystem`. */
export function paperRounds(
  answers: PaperAnswer[],
): { character: { action: 'speaking' | 'thinking'; text: string }[] }[][] {
  return answers.map((a) => [
    {
      character: (Array.isArray(a.reply) ? a.reply : [a.reply]).map((t) => ({
        action: t.action.includes('thinking') ? ('thinking' as const) : ('speaking' as const),
        text: t.content,
      })),
    },
  ]);
}

/**
 * The paper's released single-turn answers of `names` (their first `count`), each as an imported
 * system labelled `label(name)`, on one set of the questions they answer (all answer the same ones).
 */
export async function paperSystems<N extends 'Beethoven_sft' | 'Beethoven_chatgpt'>(
  studio: Studio,
  characterId: CharacterId,
  names: readonly N[],
  count: number,
  label: (name: N) => string = (name) => name,
): Promise<Record<N, { system: EvalSystem; interviews: InterviewId[] }>> {
  const answers = names.map((name) => paperAnswers(name).slice(0, count));
  const questions = await questionSet(
    studio,
    characterId,
    'Paper questions',
    answers[0]!.map((a) => ({ topicId: a.topic_id, text: a.question, mode: 'single' as const })),
  );
  const seeded = {} as Record<N, { system: EvalSystem; interviews: InterviewId[] }>;
  for (const [i, name] of names.entries())
    seeded[name] = await seedSystem(studio, characterId, label(name), questions, paperRounds(answers[i]!));
  return seeded;
}
