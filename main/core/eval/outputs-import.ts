/**
 * `eval/import-outputs`: the paper's released interview outputs (a whole `gen_results` folder, one
 * of its result folders, or flat files named `Beethoven_sft.json` / `multiturn_Beethoven_sft.jsonl`)
 * become `imported` systems of their characters, with `done` interviews and turns in the eval
 * tables, so they are judged and reported exactly like our own interviews.
 *
 * Each `{Short}_{system}` is one system, labelled `{system} (paper)`. A short name is matched to the
 * character whose short name it is (case aside) or to the one the user named in `map`; anything
 * else (the paper's `Hermonie`, a character not in the studio) is returned as unmatched and nothing
 * of it is imported: never guessed. A system already imported under that label is left as it is
 * (its judgments too) and said so; archive it to import again.
 *
 * Every file is parsed before anything is written, and everything is written in one transaction:
 * a broken file fails the whole call, naming the file and the line. Files are read one at a time
 * with a turn of the event loop between them, so the serve door keeps answering.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type {
  Character,
  CharacterId,
  EvalSystemId,
  ImportedOutputSystem,
  InterviewId,
  OutputsImportReport,
  OutputsImportRequest,
  Question,
  QuestionId,
  QuestionMode,
  QuestionSetId,
} from '../../../common/contract';
import type { Db } from '../../store/database';
import {
  importedSystem,
  type EvalRepo,
  type NewEvalSystem,
  type NewInterview,
  type NewQuestion,
  type NewQuestionSet,
  type NewTurn,
} from '../../store/eval-repo';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import {
  NONSTOP,
  parseMultiTurn,
  parseSingleTurn,
  sourceOfPath,
  type MultiInterview,
  type OutputSource,
  type OutputTurn,
  type SingleAnswer,
} from './paper-outputs';

/** The paper's topic ids as people read them (its question files' `topic` field). */
export const PAPER_TOPICS: Record<string, string> = {
  'topic-1': 'personal information and past experiences',
  'topic-2': 'interpersonal relationships',
  'topic-3': 'values and preferences',
  'topic-4': 'anachronism probes',
};
/** Multi-turn files carry no topic id: a goal no question set holds gets this one. */
export const UNKNOWN_TOPIC = 'unknown';

/** The largest released file is under 1 MB; anything far bigger is not one. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const INTERVIEWER = 'Man';

interface FoundFile {
  /** As shown to people: the path given, or the uploaded name. */
  label: string;
  source: OutputSource;
  read: () => Promise<string>;
}

export interface OutputsImportDeps {
  db: Db;
  repo: EvalRepo;
  characters: () => Character[];
  clock: Clock;
  newId: IdFactory;
  /** Called once per character that gained systems (the eval area's `eval/systems/changed`). */
  changed: (characterId: CharacterId) => void;
}

const questionKey = (mode: string, text: string) => `${mode}\u0000${text.trim().replace(/\s+/g, ' ').toLowerCase()}`;

/** Text as stored: a trailing `<|NONSTOP|>` marker moves to the turn's flag; the rest is kept exactly. */
function stored(content: string): { text: string; nonstop: boolean } {
  const at = content.lastIndexOf(NONSTOP);
  if (at < 0 || content.slice(at + NONSTOP.length).trim()) return { text: content, nonstop: at >= 0 };
  return { text: content.slice(0, at).replace(/\s+$/, ''), nonstop: true };
}

export class OutputsImportService {
  constructor(private readonly deps: OutputsImportDeps) {}

  async import(request: OutputsImportRequest): Promise<OutputsImportReport> {
    const started = Date.now();
    const { files, skipped } = await this.find(request);
    if (files.length === 0) {
      throw new StudioFailure(
        'invalid_argument',
        `No released interview outputs found${skipped.length ? ` (left alone: ${skipped.slice(0, 5).join(', ')})` : ''}. Choose the gen_results folder, one of its *_result folders, or files named like Beethoven_sft.json or multiturn_Beethoven_sft.jsonl.`,
      );
    }
    const characters = this.deps.characters();
    const resolved = new Map<string, Character | null>();
    for (const f of files) {
      if (!resolved.has(f.source.short)) resolved.set(f.source.short, this.match(f.source.short, characters, request));
    }
    const unmatched = [...resolved].filter(([, c]) => !c).map(([short]) => short);
    const report: OutputsImportReport = {
      unmatched: unmatched.map((short) => ({
        short,
        files: files.filter((f) => f.source.short === short).map((f) => f.label),
      })),
      systems: [],
      oddLabels: [],
      skipped,
      notices: [],
      dryRun: request.dryRun === true,
      durationMs: 0,
    };
    const plan = new ImportPlan(this.deps);
    // Group the matched files by character and system, in a stable order.
    const groups = new Map<string, { character: Character; source: OutputSource; files: FoundFile[] }>();
    for (const f of files) {
      const character = resolved.get(f.source.short);
      if (!character) continue;
      const key = `${character.id}\u0000${f.source.short}\u0000${f.source.system}`;
      const group = groups.get(key) ?? { character, source: f.source, files: [] };
      group.files.push(f);
      groups.set(key, group);
    }
    for (const { character, source, files: group } of groups.values()) {
      const label = `${source.system} (paper)`;
      const existing = this.deps.repo.systemByLabel(character.id, label);
      const live = existing && this.deps.repo.systems(character.id).some((s) => s.id === existing.id);
      if (existing && live) {
        report.notices.push(
          `${character.shortName} already has a system "${label}" (${existing.interviews} interviews): left as it is. Archive it to import again.`,
        );
        continue;
      }
      const free = existing ? this.freeLabel(character.id, label) : label;
      const system = plan.system(character, source, free, group.map((f) => f.label).join(', '));
      for (const file of group) {
        const text = await file.read();
        if (file.source.kind === 'single') {
          const parsed = parseSingleTurn(text, file.label);
          report.oddLabels.push(...parsed.oddLabels);
          for (const answer of parsed.items) plan.single(system, answer, `${file.label}#${answer.index}`);
        } else {
          const parsed = parseMultiTurn(text, file.label);
          report.oddLabels.push(...parsed.oddLabels);
          for (const interview of parsed.items) plan.multi(system, interview, `${file.label}:${interview.line}`);
        }
        await nextTurn();
      }
      report.systems.push(system.summary);
    }
    if (report.oddLabels.length) {
      report.notices.push(
        `${report.oddLabels.length} turns had an action label other than (speaking) or (thinking); each was read as the word it holds and kept as written.`,
      );
    }
    if (unmatched.length) {
      report.notices.push(
        `Not imported: ${unmatched.join(', ')} match no character's short name. Say which character each is and import again.`,
      );
    }
    if (!report.dryRun && report.systems.length) {
      plan.commit(this.deps.clock.now());
      for (const id of new Set(report.systems.map((s) => s.characterId))) this.deps.changed(id);
    }
    report.durationMs = Date.now() - started;
    return report;
  }

  /** `sft (paper) 2`, `… 3`: the first label no system of the character holds (archived ones keep theirs). */
  private freeLabel(characterId: CharacterId, label: string): string {
    for (let n = 2; ; n++) if (!this.deps.repo.systemByLabel(characterId, `${label} ${n}`)) return `${label} ${n}`;
  }

  private match(short: string, characters: Character[], request: OutputsImportRequest): Character | null {
    const mapped = request.map?.[short];
    if (mapped) {
      const character = characters.find((c) => c.id === mapped);
      if (!character) throw new StudioFailure('not_found', `--map ${short}=…: there is no character ${mapped}.`);
      return character;
    }
    const same = characters.filter((c) => c.shortName.trim().toLowerCase() === short.toLowerCase());
    return same.length === 1 ? same[0]! : null;
  }

  private async find(request: OutputsImportRequest): Promise<{ files: FoundFile[]; skipped: string[] }> {
    const files: FoundFile[] = [];
    const skipped: string[] = [];
    const add = (label: string, read: () => Promise<string>) => {
      const source = sourceOfPath(label);
      if (source) files.push({ label, source, read });
      else skipped.push(label);
    };
    for (const upload of request.files ?? []) {
      const bytes = Buffer.from(upload.base64, 'base64');
      if (bytes.length > MAX_FILE_BYTES) throw tooLarge(upload.name);
      add(upload.name, () => Promise.resolve(bytes.toString('utf8')));
    }
    const walk = async (path: string): Promise<void> => {
      const info = await stat(path).catch(() => null);
      if (!info)
        throw new StudioFailure('not_found', `There is no file or folder ${path}. Check the path and try again.`);
      if (info.isDirectory()) {
        const entries = (await readdir(path)).sort();
        for (const entry of entries) if (!entry.startsWith('.')) await walk(join(path, entry));
        return;
      }
      if (!/\.jsonl?$/i.test(path)) return void skipped.push(path);
      if (info.size > MAX_FILE_BYTES) throw tooLarge(path);
      add(path, () => readFile(path, 'utf8'));
    };
    for (const path of request.paths ?? []) await walk(path);
    return { files, skipped };
  }
}

function tooLarge(name: string): StudioFailure {
  return new StudioFailure(
    'too_large',
    `${name} is over ${MAX_FILE_BYTES / 1048576} MB: not one of the paper's interview files.`,
  );
}

interface PlannedSystem {
  id: EvalSystemId;
  character: Character;
  summary: ImportedOutputSystem;
}

/** What an import will write, built file by file; `commit` writes it in one transaction. */
class ImportPlan {
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
