import type {
  Character,
  CharacterId,
  QuestionDraft,
  QuestionImportRequest,
  QuestionSet,
  QuestionSetDetail,
  QuestionSetId,
  QuestionSetOrigin,
} from '../../../common/contract';
import { counted } from '../../../common/plural';
import type { Db } from '../../store/database';
import type { EvalRepo, NewQuestion } from '../../store/eval-repo';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { TOPICS } from './eval-prompts';
import { MAX_QUESTION_CHARS, MAX_QUESTIONS, modeOfFile, readQuestionFile } from './question-file';

const MAX_NAME_CHARS = 200;

/**
 * Question sets of a character: made by hand, imported from the paper's files, or generated
 * (`QuestionGenerator`); edited by saving a whole new version (add, delete, reword, reorder in one
 * go), so every interview keeps pointing at the questions exactly as they were asked.
 */
export class QuestionService {
  constructor(
    private readonly db: Db,
    private readonly repo: EvalRepo,
    private readonly character: (id: CharacterId) => Character,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {}

  list(characterId: CharacterId): QuestionSet[] {
    this.character(characterId);
    return this.repo.sets(characterId);
  }

  get(setId: QuestionSetId, version?: number): QuestionSetDetail {
    const set = this.setOf(setId);
    const v = version ?? set.currentVersion;
    if (!set.versions.some((x) => x.version === v))
      throw new StudioFailure(
        'not_found',
        `"${set.name}" has no version ${v}; it has versions 1 to ${set.currentVersion}.`,
      );
    return { set, version: v, questions: this.repo.questions(setId, v) };
  }

  create(characterId: CharacterId, name: string, drafts: readonly QuestionDraft[] = []): QuestionSetDetail {
    return this.insert(characterId, { name, origin: 'hand', source: null, callIds: [] }, drafts, 'created by hand');
  }

  /** The paper's question file as it is; with `setId`, appended to that set as its next version. */
  import(request: QuestionImportRequest): QuestionSetDetail {
    const character = this.character(request.characterId);
    const mode = request.mode ?? modeOfFile(request.fileName);
    const drafts = readQuestionFile(request.fileName, request.content, mode, request.topicId);
    const goals = drafts.filter((d) => d.mode === 'multi').length;
    const what = [
      drafts.length > goals && counted(drafts.length - goals, 'question'),
      goals > 0 && counted(goals, 'multi-turn goal'),
    ].filter(Boolean);
    const note = `imported ${what.join(' and ')} from ${request.fileName}`;
    if (request.setId) {
      const current = this.get(request.setId);
      if (current.set.characterId !== character.id)
        throw new StudioFailure('invalid_argument', `"${current.set.name}" belongs to another character.`);
      return this.save(request.setId, current.version, [...current.questions, ...drafts], { note });
    }
    const name = request.name?.trim() || request.fileName.replace(/\.[^.]+$/, '');
    return this.insert(character.id, { name, origin: 'imported', source: request.fileName, callIds: [] }, drafts, note);
  }

  /** A new set from questions another service made (a generation); `origin` says how. */
  insert(
    characterId: CharacterId,
    meta: { name: string; origin: QuestionSetOrigin; source: string | null; callIds: string[] },
    drafts: readonly QuestionDraft[],
    note: string,
  ): QuestionSetDetail {
    this.character(characterId);
    const name = this.checkName(characterId, meta.name);
    const questions = this.checkDrafts(drafts);
    const id = this.newId() as QuestionSetId;
    this.db.transaction(() =>
      this.repo.insertSet({ id, characterId, ...meta, name }, note, questions, this.clock.now()),
    )();
    this.events.emit('eval/questions/changed', { characterId, setId: id });
    return this.get(id);
  }

  /**
   * Saves `drafts` in order as the set's next version. A draft with the `key` of a question of the
   * base version is that question (reworded, moved or unchanged); one without is new; a question of
   * the base version no draft names is deleted. Refused when someone saved since `baseVersion`.
   */
  save(
    setId: QuestionSetId,
    baseVersion: number,
    drafts: readonly QuestionDraft[],
    options: { name?: string | undefined; note?: string | undefined } = {},
  ): QuestionSetDetail {
    const set = this.setOf(setId);
    if (baseVersion !== set.currentVersion)
      throw new StudioFailure(
        'conflict',
        `"${set.name}" was saved again meanwhile (version ${set.currentVersion}, you edited version ${baseVersion}). Reload it and make your change again.`,
      );
    const name = options.name === undefined ? set.name : this.checkName(set.characterId, options.name, setId);
    const questions = this.checkDrafts(drafts);
    const before = this.repo.questions(setId, baseVersion);
    const note = options.note?.trim() || describeEdit(before, questions, set.name !== name);
    const now = this.clock.now();
    this.db.transaction(() => {
      // Read again inside the write: two saves racing from the same base leave one winner.
      if (this.repo.set(setId)!.currentVersion !== baseVersion)
        throw new StudioFailure(
          'conflict',
          `"${set.name}" was saved again meanwhile. Reload it and make your change again.`,
        );
      if (name !== set.name) this.repo.rename(setId, name, now);
      this.repo.insertVersion(setId, baseVersion + 1, note, questions, now);
    })();
    this.events.emit('eval/questions/changed', { characterId: set.characterId, setId });
    return this.get(setId);
  }

  archive(setId: QuestionSetId): QuestionSet {
    const set = this.setOf(setId);
    this.repo.archiveSet(setId, this.clock.now());
    this.events.emit('eval/questions/changed', { characterId: set.characterId, setId });
    return this.repo.set(setId)!;
  }

  setOf(setId: QuestionSetId): QuestionSet {
    const set = this.repo.set(setId);
    if (!set) throw new StudioFailure('not_found', 'That question set no longer exists.');
    return set;
  }

  private checkName(characterId: CharacterId, raw: string, except?: QuestionSetId): string {
    const name = raw.trim().replace(/\s+/g, ' ');
    if (name === '') throw new StudioFailure('invalid_argument', 'Give the question set a name.');
    if (name.length > MAX_NAME_CHARS)
      throw new StudioFailure(
        'invalid_argument',
        `The name is ${name.length} characters; keep it under ${MAX_NAME_CHARS}.`,
      );
    if (this.repo.setNameTaken(characterId, name, except))
      throw new StudioFailure('conflict', `A question set named "${name}" exists already; choose another name.`);
    return name;
  }

  /** Drafts as rows: trimmed, each with a key, none empty or too long, keys unique. */
  private checkDrafts(drafts: readonly QuestionDraft[]): NewQuestion[] {
    if (drafts.length > MAX_QUESTIONS)
      throw new StudioFailure(
        'too_large',
        `A set holds at most ${MAX_QUESTIONS} questions; this one has ${drafts.length}.`,
      );
    const keys = new Set<string>();
    return drafts.map((d, i) => {
      const text = d.text.trim();
      if (text === '')
        throw new StudioFailure('invalid_argument', `Question ${i + 1} is empty: write it or delete it.`);
      if (text.length > MAX_QUESTION_CHARS)
        throw new StudioFailure(
          'invalid_argument',
          `Question ${i + 1} is ${text.length.toLocaleString('en-US')} characters; keep it under ${MAX_QUESTION_CHARS.toLocaleString('en-US')}.`,
        );
      const topicId = d.topicId.trim() || 'topic-0';
      let key = d.key ?? this.newId();
      if (keys.has(key)) key = this.newId();
      keys.add(key);
      return {
        id: this.newId(),
        key,
        topicId,
        topic: d.topic?.trim() || TOPICS[topicId] || topicId,
        text,
        mode: d.mode,
      };
    });
  }
}

/** "added 2, reworded 1, deleted 3, reordered" from the versions before and after a save. */
function describeEdit(
  before: readonly { key: string; text: string; topicId: string; mode: string }[],
  after: readonly NewQuestion[],
  renamed: boolean,
): string {
  const old = new Map(before.map((q, i) => [q.key, { ...q, i }]));
  const kept = after.filter((q) => old.has(q.key));
  const added = after.length - kept.length;
  const deleted = before.length - kept.length;
  const changed = kept.filter((q) => {
    const o = old.get(q.key)!;
    return o.text !== q.text || o.topicId !== q.topicId || o.mode !== q.mode;
  }).length;
  const order = kept.map((q) => old.get(q.key)!.i);
  const moved = order.some((v, i) => i > 0 && v < order[i - 1]!);
  const parts = [
    added && `added ${added}`,
    changed && `edited ${changed}`,
    deleted && `deleted ${deleted}`,
    moved && 'reordered',
    renamed && 'renamed',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'saved without changes';
}
