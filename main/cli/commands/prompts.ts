import type { Character, KnowledgeLimit, PromptTemplate, Stage } from '../../../common/contract';
import { STAGES } from '../../core/pipeline/stages/scheduler';
import {
  argument,
  findCharacter,
  findProvider,
  readInput,
  readFile,
  str,
  UsageError,
  type CliContext,
} from '../shared';

/**
 * `limits` and `prompts`: what the Generate tab's "What the character cannot know" and "Prompts"
 * panels edit, in a terminal, on the same commands.
 *
 *   limits <character> [list]
 *   limits <character> set <file|->           one per line (blank lines dropped)
 *   limits <character> add "<text>"
 *   limits <character> delete <n,m>           numbers as `list` prints them
 *   limits <character> generate --provider <p>
 *
 *   prompts <character> [list]
 *   prompts <character> show <stage>
 *   prompts <character> set <stage> --template <file|-> [--system <file>]
 *   prompts <character> reset <stage>
 */
export async function limitsCommand(ctx: CliContext): Promise<number> {
  const character = await findCharacter(ctx.call, argument(ctx.rest, 0, '<character>', 'limits'));
  const verb = ctx.rest[1] ?? 'list';
  const current = () => ctx.call('limits/list', { characterId: character.id });
  const save = (texts: string[]) => ctx.call('limits/save', { characterId: character.id, limits: texts });
  let limits: KnowledgeLimit[];
  switch (verb) {
    case 'list':
      limits = await current();
      break;
    case 'set': {
      const file = argument(ctx.rest, 2, '<file|->', 'limits set');
      const text = (await readInput(file, ctx.io)).toString('utf8');
      const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
      if (lines.length === 0)
        throw new UsageError(
          `${file === '-' ? 'Standard input' : file} holds no line. Write one thing ${character.shortName} cannot know per line; to keep the list, do not run set.`,
        );
      limits = await save(lines);
      break;
    }
    case 'add': {
      const text = argument(ctx.rest, 2, '"<text>"', 'limits add');
      limits = await save([...(await current()).map((l) => l.text), text]);
      break;
    }
    case 'delete': {
      const before = await current();
      const drop = positions(argument(ctx.rest, 2, '<n,m>', 'limits delete'), before.length, 'limits');
      limits = await save(before.filter((_, i) => !drop.has(i + 1)).map((l) => l.text));
      break;
    }
    case 'generate': {
      const providerKey = str(ctx.values, 'provider');
      if (!providerKey) throw new UsageError('limits generate needs --provider <provider> (see: providers list).');
      const provider = await findProvider(ctx.call, providerKey);
      ctx.io.err(`Asking ${provider.name} what ${character.fullName} cannot know…`);
      limits = await ctx.call('limits/generate', { characterId: character.id, providerId: provider.id });
      break;
    }
    default:
      throw new UsageError(`Unknown limits command "${verb}": use list, set, add, delete or generate.`);
  }
  ctx.print(limits, () => describeLimits(character, limits));
  return 0;
}

export async function promptsCommand(ctx: CliContext): Promise<number> {
  const character = await findCharacter(ctx.call, argument(ctx.rest, 0, '<character>', 'prompts'));
  const verb = ctx.rest[1] ?? 'list';
  const stageOf = (command: string) => stageArgument(argument(ctx.rest, 2, '<stage>', `prompts ${command}`));
  switch (verb) {
    case 'list': {
      const prompts = await ctx.call('prompts/list', { characterId: character.id });
      ctx.print(prompts, () => prompts.map(describeSummary).join('\n'));
      return 0;
    }
    case 'show': {
      const stage = stageOf('show');
      const prompts = await ctx.call('prompts/list', { characterId: character.id });
      const prompt = prompts.find((p) => p.stage === stage)!;
      ctx.print(prompt, () => describeFull(prompt));
      return 0;
    }
    case 'set': {
      const stage = stageOf('set');
      const templateFile = str(ctx.values, 'template');
      if (!templateFile)
        throw new UsageError(
          `prompts set needs --template <file|-> (see the current one with: character-studio prompts ${character.shortName} show ${stage}).`,
        );
      const systemFile = str(ctx.values, 'system');
      if (systemFile === '-')
        throw new UsageError('--system takes a file; only --template may come from standard input (-).');
      const template = (await readInput(templateFile, ctx.io)).toString('utf8');
      const before = (await ctx.call('prompts/list', { characterId: character.id })).find((p) => p.stage === stage)!;
      const system = systemFile === undefined ? before.system : readFile(systemFile).toString('utf8');
      const prompts = await ctx.call('prompts/save', { characterId: character.id, stage, system, template });
      const saved = prompts.find((p) => p.stage === stage)!;
      ctx.print(saved, () => `Saved ${describeSummary(saved)}`);
      return 0;
    }
    case 'reset': {
      const stage = stageOf('reset');
      const prompts = await ctx.call('prompts/save', { characterId: character.id, stage, reset: true });
      const saved = prompts.find((p) => p.stage === stage)!;
      ctx.print(saved, () => `Back to the built-in prompt: ${describeSummary(saved)}`);
      return 0;
    }
    default:
      throw new UsageError(`Unknown prompts command "${verb}": use list, show, set or reset.`);
  }
}

function stageArgument(given: string): Stage {
  const stage = STAGES.find((s) => s === given.trim().toLowerCase());
  if (!stage) throw new UsageError(`"${given}" is not a stage. The stages are: ${STAGES.join(', ')}.`);
  return stage;
}

/** 1-based positions from "2,5"; each must name an item of a list of `count`. */
function positions(text: string, count: number, what: string): Set<number> {
  const numbers = text.split(',').map((part) => part.trim());
  const bad = numbers.filter((n) => !/^\d+$/.test(n) || Number(n) < 1 || Number(n) > count);
  if (bad.length > 0)
    throw new UsageError(
      count === 0
        ? `There are no ${what} to delete.`
        : `${bad.map((b) => `"${b}"`).join(', ')}: give numbers from 1 to ${count}, as list prints them (e.g. 2,5).`,
    );
  return new Set(numbers.map(Number));
}

function describeLimits(character: Character, limits: KnowledgeLimit[]): string {
  if (limits.length === 0)
    return `No list yet of what ${character.shortName} cannot know. Write one (character-studio limits ${character.shortName} set <file>) or ask a provider (character-studio limits ${character.shortName} generate --provider <p>); a run with protective scenes makes one itself.`;
  const width = String(limits.length).length;
  return [
    `What ${character.fullName} cannot know (${limits.length}; protective scenes press on these):`,
    ...limits.map((l, i) => `${String(i + 1).padStart(width)}. ${l.text}${l.source === 'user' ? '' : '  (generated)'}`),
  ].join('\n');
}

function describeSummary(p: PromptTemplate): string {
  return `${p.stage.padEnd(12)} ${p.version.padEnd(12)} ${p.custom ? 'custom' : 'built-in'}; placeholders ${p.placeholders.map((n) => `{${n}}`).join(' ')}`;
}

function describeFull(p: PromptTemplate): string {
  return [describeSummary(p), '', '── system', p.system || '(none)', '', '── template', p.template].join('\n');
}
