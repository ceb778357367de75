import path from 'node:path';
import type { QuestionDraft, QuestionMode, QuestionSet, QuestionSetDetail } from '../../../common/contract';
import { counted } from '../../../common/plural';
import { readQuestionLines } from '../../../common/question-lines';
import { StudioFailure } from '../../core/errors';
import { findSet } from '../eval-names';
import {
  argument,
  findCharacter,
  findProvider,
  numberOption,
  readInput,
  str,
  UsageError,
  type CliContext,
} from '../shared';

/**
 * `questions`: the Evaluate tab's question sets in a terminal, on the same commands.
 *
 *   questions <character> [list]
 *   questions <character> show <set> [--version <n>]
 *   questions <character> create --name <name> [--from <file|->] [--topic <id>] [--mode single|multi]
 *   questions <character> import <file|-> [--mode single|multi] [--name <name>] [--set <set>] [--topic <id>]
 *   questions <character> generate [--provider <p>] [--model <m>] [--per-topic <n>] [--goals <n>] [--name <name>]
 *   questions <character> edit <set> [--add "<text>" [--topic <id>] [--mode single|multi] [--at <n>]]
 *        [--delete <n,m>] [--reword <n> --text "<text>"] [--move <n> --to <m>] [--name <new name>]
 *   questions <character> archive <set>
 *
 * Every edit is saved as one new version; numbers are the 1-based positions `show` prints.
 */
export async function questionsCommand(ctx: CliContext): Promise<number> {
  const character = await findCharacter(ctx.call, argument(ctx.rest, 0, '<character>', 'questions'));
  const verb = ctx.rest[1] ?? 'list';
  switch (verb) {
    case 'list': {
      const sets = await ctx.call('eval/questions/list', { characterId: character.id });
      ctx.print(sets, () =>
        sets.length === 0
          ? `${character.shortName} has no question sets. Import the paper's file or generate one: character-studio questions ${character.shortName} generate`
          : sets.map(describeSet).join('\n'),
      );
      return 0;
    }
    case 'show': {
      const set = await findSet(ctx.call, character, argument(ctx.rest, 2, '<set>', 'questions show'));
      const version = str(ctx.values, 'version');
      const detail = await ctx.call('eval/questions/get', {
        setId: set.id,
        ...(version !== undefined && { version: numberOption(version, '--version', 0) }),
      });
      ctx.print(detail, () => describeDetail(detail));
      return 0;
    }
    case 'import': {
      const file = argument(ctx.rest, 2, '<file>', 'questions import');
      const content = (await readInput(file, ctx.io)).toString('utf8');
      const setKey = str(ctx.values, 'set');
      const detail = await ctx.call('eval/questions/import', {
        characterId: character.id,
        fileName: file === '-' ? 'stdin.json' : path.basename(file),
        content,
        ...modeOf(ctx),
        ...(str(ctx.values, 'topic') && { topicId: str(ctx.values, 'topic')! }),
        ...(str(ctx.values, 'name') && { name: str(ctx.values, 'name')! }),
        ...(setKey && { setId: (await findSet(ctx.call, character, setKey)).id }),
      });
      ctx.print(detail, () => `Imported into ${describeSet(detail.set)}`);
      return 0;
    }
    case 'create': {
      const name = str(ctx.values, 'name');
      if (!name?.trim())
        throw new UsageError(
          `Name the set: questions ${character.shortName} create --name "<name>" [--from <file|->] (the file: one question a line).`,
        );
      const from = str(ctx.values, 'from');
      const questions =
        from === undefined
          ? []
          : readQuestionLines((await readInput(from, ctx.io)).toString('utf8'), {
              topicId: str(ctx.values, 'topic') ?? 'topic-1',
              mode: modeOf(ctx).mode ?? 'single',
            });
      if (from !== undefined && questions.length === 0)
        throw new StudioFailure(
          'invalid_argument',
          `${from === '-' ? 'Standard input' : from} holds no question: write one a line (blank lines and lines starting with # are skipped).`,
        );
      const detail = await ctx.call('eval/questions/create', { characterId: character.id, name, questions });
      ctx.print(detail, () =>
        detail.questions.length > 0
          ? `Created ${describeSet(detail.set)}\n${describeDetail(detail)}`
          : `Created ${describeSet(detail.set)}\nAdd questions: character-studio questions ${character.shortName} edit "${detail.set.name}" --add "<question>" [--topic <id>] [--mode multi]`,
      );
      return 0;
    }
    case 'generate': {
      const provider = str(ctx.values, 'provider');
      ctx.io.err('Writing questions from the profile…');
      const detail = await ctx.call('eval/questions/generate', {
        characterId: character.id,
        ...(provider && { providerId: (await findProvider(ctx.call, provider)).id }),
        ...(str(ctx.values, 'model') && { model: str(ctx.values, 'model')! }),
        ...(str(ctx.values, 'per-topic') !== undefined && {
          perTopic: numberOption(str(ctx.values, 'per-topic'), '--per-topic', 10),
        }),
        ...(str(ctx.values, 'goals') !== undefined && {
          goalsPerTopic: numberOption(str(ctx.values, 'goals'), '--goals', 0),
        }),
        ...(str(ctx.values, 'name') && { name: str(ctx.values, 'name')! }),
      });
      ctx.print(detail, () => describeDetail(detail));
      return 0;
    }
    case 'edit': {
      const set = await findSet(ctx.call, character, argument(ctx.rest, 2, '<set>', 'questions edit'));
      const current = await ctx.call('eval/questions/get', { setId: set.id });
      const { drafts, rename } = applyEdits(ctx, current);
      const saved = await ctx.call('eval/questions/save', {
        setId: set.id,
        baseVersion: current.version,
        questions: drafts,
        ...(rename !== undefined && { name: rename }),
      });
      ctx.print(
        saved,
        () => `Saved version ${saved.version}: ${saved.set.versions.at(-1)!.note}.\n${describeDetail(saved)}`,
      );
      return 0;
    }
    case 'archive': {
      const set = await findSet(ctx.call, character, argument(ctx.rest, 2, '<set>', 'questions archive'));
      const archived = await ctx.call('eval/questions/archive', { setId: set.id });
      ctx.print(archived, () => `Archived "${archived.name}"; interviews that used it keep their questions.`);
      return 0;
    }
    default:
      throw new UsageError(
        `Unknown questions command "${verb}": use list, show, create, import, generate, edit or archive.`,
      );
  }
}

function modeOf(ctx: CliContext): { mode?: QuestionMode } {
  const mode = str(ctx.values, 'mode');
  if (mode === undefined) return {};
  if (mode !== 'single' && mode !== 'multi') throw new UsageError(`--mode must be single or multi, not "${mode}".`);
  return { mode };
}

/** The edits the options ask for, applied in a fixed order: reword, delete, move, add. */
function applyEdits(ctx: CliContext, current: QuestionSetDetail): { drafts: QuestionDraft[]; rename?: string } {
  const v = ctx.values;
  const drafts: QuestionDraft[] = current.questions.map((q) => ({
    key: q.key,
    topicId: q.topicId,
    topic: q.topic,
    text: q.text,
    mode: q.mode,
  }));
  const position = (text: string | undefined, flag: string, max = drafts.length): number => {
    const n = numberOption(text, flag, 0);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new UsageError(`${flag} takes a question number from 1 to ${max} (as "show" lists them), not "${text}".`);
    return n - 1;
  };
  let edited = false;
  const reword = str(v, 'reword');
  if (reword !== undefined) {
    const text = str(v, 'text');
    if (text === undefined) throw new UsageError('--reword <n> needs the new wording: --text "…".');
    drafts[position(reword, '--reword')]!.text = text;
    edited = true;
  }
  const del = str(v, 'delete');
  if (del !== undefined) {
    const gone = new Set(del.split(',').map((n) => position(n.trim(), '--delete')));
    drafts.splice(0, drafts.length, ...drafts.filter((_, i) => !gone.has(i)));
    edited = true;
  }
  const move = str(v, 'move');
  if (move !== undefined) {
    const from = position(move, '--move');
    const to = position(str(v, 'to'), '--to');
    drafts.splice(to, 0, ...drafts.splice(from, 1));
    edited = true;
  }
  const add = str(v, 'add');
  if (add !== undefined) {
    const topicId = str(v, 'topic') ?? 'topic-1';
    const at = str(v, 'at') === undefined ? drafts.length : position(str(v, 'at'), '--at', drafts.length + 1);
    drafts.splice(at, 0, { topicId, text: add, mode: modeOf(ctx).mode ?? 'single' });
    edited = true;
  }
  const rename = str(v, 'name');
  if (!edited && rename === undefined)
    throw new UsageError('Say what to change: --add, --delete, --reword with --text, --move with --to, or --name.');
  return { drafts, ...(rename !== undefined && { rename }) };
}

function describeSet(set: QuestionSet): string {
  const topics = Object.entries(set.counts.byTopic)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  return `${set.id}  "${set.name}" (${set.origin}, version ${set.currentVersion}): ${counted(set.counts.single, 'question')}, ${counted(set.counts.multi, 'multi-turn goal')}${topics ? ` · ${topics}` : ''}${set.source ? ` · from ${set.source}` : ''}`;
}

function describeDetail(detail: QuestionSetDetail): string {
  const lines = detail.questions.map(
    (q, i) => `${String(i + 1).padStart(3)}. [${q.topicId}${q.mode === 'multi' ? ', goal' : ''}] ${q.text}`,
  );
  return [`"${detail.set.name}" version ${detail.version} of ${detail.set.currentVersion}`, ...lines].join('\n');
}
