/**
 * What an import of released outputs will write (outputs-import.ts), built answer by answer and
 * written in one transaction: imported systems, done interviews with their turns (the question as the
 * interviewer's turn in single-turn), and a question set for questions no live set of the character
 * holds. Questions are matched by mode and text, spaces and case aside.
 */
import type {
  Character,
  CharacterId,
  EvalSystemId,
  ImportedOutputSystem,
  InterviewId,
  Question,
  QuestionId,
  QuestionMode,
  QuestionSetId,
} from '../../../common/contract';
import {
  importedSystem,
  type NewEvalSystem,
  type NewInterview,
  type NewQuestion,
  type NewQuestionSet,
  type NewTurn,
} from '../../store/eval-repo';
import type { OutputsImportDeps } from './outputs-import';
import { NONSTOP, type MultiInterview, type OutputSource, type OutputTurn, type SingleAnswer } from './paper-outputs';

/** The paper's topic ids as people read them (its question files' `topic` field). */
export const PAPER_TOPICS: Record<string, string> = {
  'topic-1': 'personal information and past experiences',
  'topic-2': 'interpersonal relationships',
  'topic-3': 'values and preferences',
  'topic-4': 'anachronism probes',
};
/** Multi-turn files carry no topic id: a goal no question set holds gets this one. */
export const UNKNOWN_TOPIC = 'unknown';
const INTERVIEWER = 'Man';

const questionKey = (mode: string, text: string) => `${mode}\u0000${text.trim().replace(/\s+/g, ' ').toLowerCase()}`;

/** Text as stored: a trailing `<|NONSTOP|>` marker moves to the turn's flag; the rest is kept exactly. */
function stored(content: string): { text: string; nonstop: boolean } {
  const at = content.lastIndexOf(NONSTOP);
  if (at < 0 || content.slice(at + NONSTOP.length).trim()) return { text: content, nonstop: at >= 0 };
  return { text: content.slice(0, at).replace(/\s+$/, ''), nonstop: true };
}

export interface PlannedSystem {
  id: EvalSystemId;
  character: Character;
  summary: ImportedOutputSystem;
}

/** What an import will write, built file by file; `commit` writes it in one transaction. */
export class ImportPlan {
  private readonly sets: { set: NewQuestionSet; questions: NewQuestion[] }[] = [];
  private readonly systems: NewEvalSystem[] = [];
  private readonly interviews: { interview: NewInterview; turns: NewTurn[] }[] = [];
  /** Per character: its live questions and the ones this import adds, by mode and text. */
  private readonly questions = new Map<CharacterId, Map<string, Question>>();
  private readonly newSets = new Map<CharacterId, { set: NewQuestionSet; questions: NewQuestion[] }>();

  constructor(private readonly deps: OutputsImportDeps) {}

  commit(now: number): void {
    const { db, repo } = this.deps;
    db.transaction(() => {
      for (const s of this.sets)
        repo.insertSet(s.set, 'questions of imported interview outputs that no set held', s.questions, now);
      for (const system of this.systems) repo.insertSystem(system, now);
      for (const i of this.interviews) {
        repo.insertInterview(i.interview, now);
        repo.insertTurns(i.turns, now);
      }
    })();
  }

  system(character: Character, source: OutputSource, label: string, files: string): PlannedSystem {
    const id = this.deps.newId() as EvalSystemId;
    this.systems.push(importedSystem(id, character.id, label, files));
    const summary: ImportedOutputSystem = {
      characterId: character.id,
      short: source.short,
      system: source.system,
      systemId: id,
      single: 0,
      multi: 0,
      thoughtRounds: 0,
      thoughtOnlyRounds: 0,
      nonstop: 0,
    };
    return { id, character, summary };
  }

  single(system: PlannedSystem, answer: SingleAnswer, source: string): void {
    const question = this.question(system.character, 'single', answer.question, answer.topicId || UNKNOWN_TOPIC);
    const interview = this.interview(system, question, 'single', 1);
    interview.turns.push(
      this.turn(interview, 1, 'interviewer', INTERVIEWER, { action: 'speaking', content: answer.question }, source),
    );
    for (const t of answer.turns) interview.turns.push(this.turn(interview, 1, 'character', t.role, t, source));
    system.summary.single++;
    if (answer.thoughts) system.summary.thoughtRounds++;
    if (answer.nonstop) system.summary.nonstop++;
  }

  multi(system: PlannedSystem, file: MultiInterview, source: string): void {
    const question = this.question(system.character, 'multi', file.goal, UNKNOWN_TOPIC);
    const rounds = new Set(file.rounds.map((r) => r.round)).size;
    const interview = this.interview(system, question, 'multi', Math.max(1, rounds));
    for (const round of file.rounds) {
      for (const t of round.turns) {
        const speaker = t.role || (round.by === 'interviewer' ? INTERVIEWER : system.character.shortName);
        interview.turns.push(this.turn(interview, round.round + 1, round.by, speaker, t, source));
      }
      if (round.by !== 'character') continue;
      if (round.thoughts) system.summary.thoughtRounds++;
      if (round.thoughts && !round.speech) system.summary.thoughtOnlyRounds++;
      if (round.nonstop) system.summary.nonstop++;
    }
    system.summary.multi++;
  }

  private interview(
    system: PlannedSystem,
    question: Question,
    mode: QuestionMode,
    rounds: number,
  ): { interview: NewInterview; turns: NewTurn[] } {
    const planned = {
      interview: {
        id: this.deps.newId() as InterviewId,
        characterId: system.character.id,
        jobId: null,
        systemId: system.id,
        question,
        mode,
        rounds,
        status: 'done' as const,
      },
      turns: [] as NewTurn[],
    };
    this.interviews.push(planned);
    return planned;
  }

  private turn(
    interview: { interview: NewInterview; turns: NewTurn[] },
    round: number,
    role: NewTurn['role'],
    speaker: string,
    t: Pick<OutputTurn, 'action' | 'content' | 'rawAction'>,
    source: string,
  ): NewTurn {
    const { text, nonstop } = role === 'character' ? stored(t.content) : { text: t.content, nonstop: false };
    return {
      id: this.deps.newId(),
      interviewId: interview.interview.id,
      round,
      seq: interview.turns.length,
      role,
      speaker,
      action: t.action,
      rawAction: t.rawAction ?? null,
      text,
      nonstop,
      source,
      callId: null,
    };
  }

  /** The character's question of that mode and text (any live set), or a new one in this import's set. */
  private question(character: Character, mode: QuestionMode, text: string, topicId: string): Question {
    let known = this.questions.get(character.id);
    if (!known) {
      known = new Map();
      for (const set of this.deps.repo.sets(character.id)) {
        for (const q of this.deps.repo.questions(set.id, set.currentVersion)) {
          const key = questionKey(q.mode, q.text);
          if (!known.has(key)) known.set(key, q);
        }
      }
      this.questions.set(character.id, known);
    }
    const key = questionKey(mode, text);
    const found = known.get(key);
    if (found) return found;
    let fresh = this.newSets.get(character.id);
    if (!fresh) {
      fresh = {
        set: {
          id: this.deps.newId() as QuestionSetId,
          characterId: character.id,
          name: `Paper outputs: ${character.shortName}`,
          origin: 'imported',
          source: 'the paper’s released interview outputs',
          callIds: [],
        },
        questions: [],
      };
      this.newSets.set(character.id, fresh);
      this.sets.push(fresh);
    }
    const topic = PAPER_TOPICS[topicId] ?? (topicId === UNKNOWN_TOPIC ? 'topic not given in the file' : topicId);
    const made: Question = {
      id: this.deps.newId() as QuestionId,
      setId: fresh.set.id,
      version: 1,
      key: this.deps.newId(),
      topicId,
      topic,
      text,
      mode,
      position: fresh.questions.length,
    };
    fresh.questions.push({ id: made.id, key: made.key, topicId, topic, text, mode });
    known.set(key, made);
    return made;
  }
}
