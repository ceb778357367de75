import fs from 'node:fs';
import type {
  Character,
  ChatRuntimeKind,
  ChatSamplingSettings,
  ChatMessageId,
  ChatTarget,
  ConversationView,
} from '../../../common/contract';
import { StudioFailure } from '../../core/errors';
import {
  argument,
  findCharacter,
  confirmDelete,
  findProvider,
  localPath,
  findConversation,
  findScene,
  numberOption,
  str,
  UsageError,
  type CliContext,
} from '../shared';
import { interactive, showReply } from './chat-terminal';
import { showConversation } from './chat-show';
import { markdownSnippet, markdownTitle } from '../../../common/chat-markdown';

/**
 * `chat`: the Chat tab in a terminal, on the same runtimes and stored as the same conversations.
 *
 *   chat <character> [--run R | --provider P [--model M]] [--runtime embedded|served|endpoint]
 *        [--scene <scene> | --location "…" --status "…"] [--as "<who you are>"]
 *        [--conversation <id> [--at <message>]]   go on in a stored one (from that message's branch)
 *        [--message "…" --json]            one reply, printed as JSON (for scripts)
 *   chat update <conversation> [--title "…"] [--run R | --provider P [--model M]] [--runtime …]
 *        [--scene <scene> | --location "…" --status "…"] [--as "<who you are>" | --as ""]
 *        [--temperature t] [--top-p p] [--max-tokens n] [--seed n|random]   for the replies to come
 *        [--never-end | --may-end]         a reply runs to --max-tokens or Stop (ignoreEos), or not
 *        [--conversation <id> --continue [--json]]   go on from its last reply, stopped or cut off
 *   chat show <conversation> [--alt <message>:<n> | --alt <id>]   the path with each message's
 *                                          alternatives (‹ 2 / 3 ›); --alt shows another one
 *   chat list <character> [--query "…"]    the character's conversations (search: FTS5, with the
 *                                          message found and where it is)
 *   chat export <conversation> [--format markdown|json] [--output <file>]
 *   chat delete <conversation>
 *
 * Without --message, the terminal chat of chat-terminal.ts.
 */
export async function chatCommand(ctx: CliContext): Promise<number> {
  const verb = ctx.rest[0];
  if (verb === 'list' && ctx.rest.length > 1) return listConversations(ctx);
  if (verb === 'export' && ctx.rest.length > 1) return exportConversation(ctx);
  if (verb === 'update' && ctx.rest.length > 1) return updateConversation(ctx);
  if (verb === 'show' && ctx.rest.length > 1) return showConversation(ctx);
  if (verb === 'delete' && ctx.rest.length > 1) {
    const id = await findConversation(ctx.call, argument(ctx.rest, 1, '<conversation>', 'chat delete'));
    const { conversation } = await ctx.call('chat/get', { id });
    const count = conversation.messageCount;
    await confirmDelete(
      ctx,
      `the conversation "${conversation.title}" (${id}) and its ${count} message${count === 1 ? '' : 's'}`,
    );
    await ctx.call('chat/delete', { id });
    ctx.print({ deleted: true, id }, () => `Deleted conversation ${id}.`);
    return 0;
  }
  if (ctx.values['continue'] === true && str(ctx.values, 'conversation') === undefined)
    throw new UsageError('--continue goes on in a stored conversation: give it with --conversation <id>.');
  const character = await findCharacter(ctx.call, argument(ctx.rest, 0, '<character>', 'chat'));
  const view = await openConversation(ctx, character);
  const sampling = samplingOf(ctx);
  const message = str(ctx.values, 'message');
  if (ctx.values['continue'] === true && message !== undefined)
    throw new UsageError('Give either --message (a new message) or --continue (more of the last reply), not both.');
  try {
    if (ctx.values['continue'] === true) return await continueLast(ctx, view, sampling);
    if (message !== undefined) return await oneShot(ctx, view, message, sampling);
    if (ctx.values.json) throw new UsageError('chat --json answers one message: give it with --message "…".');
    return await interactive(ctx, view, sampling);
  } finally {
    // Frees the model (a served run's server, an embedded model) before the CLI exits.
    await ctx.studio.shutdown();
  }
}

async function listConversations(ctx: CliContext): Promise<number> {
  const character = await findCharacter(ctx.call, argument(ctx.rest, 1, '<character>', 'chat list'));
  const query = str(ctx.values, 'query');
  const hits = await ctx.call('chat/list', { characterId: character.id, ...(query !== undefined && { query }) });
  ctx.print(hits, () =>
    hits.length === 0
      ? query
        ? `No conversation of ${character.shortName} mentions "${query}".`
        : `${character.shortName} has no conversations yet. Start one with: character-studio chat "${character.shortName}"`
      : hits
          .map(({ conversation: c, snippet, messageId, place }) => {
            const when = new Date(c.updatedAt).toISOString().slice(0, 16).replace('T', ' ');
            // Titles and snippets as the Chat tab shows them: without their Markdown marks.
            const lines = [`${c.id}  ${when}  ${markdownTitle(c.title)} (${c.messageCount} messages)`];
            if (snippet.length > 0)
              lines.push(
                `    ${markdownSnippet(snippet)
                  .map((p) => (p.match ? `«${p.text}»` : p.text))
                  .join('')}`,
              );
            if (messageId && place)
              lines.push(
                `    message ${place.position} [${messageId}] ${place.onPath ? 'in the path shown' : 'on another branch'}`,
              );
            return lines.join('\n');
          })
          .join('\n') +
        (hits.some((h) => h.messageId)
          ? `\nTo go on from a message: character-studio chat "${character.shortName}" --conversation <id> --at <message>`
          : ''),
  );
  return 0;
}

async function exportConversation(ctx: CliContext): Promise<number> {
  const format = str(ctx.values, 'format') ?? 'markdown';
  if (format !== 'markdown' && format !== 'json')
    throw new UsageError(`--format must be markdown or json, not "${format}".`);
  const id = await findConversation(ctx.call, argument(ctx.rest, 1, '<conversation>', 'chat export'));
  const file = await ctx.call('chat/export', { id, format });
  const output = str(ctx.values, 'output');
  if (output === undefined) {
    ctx.io.out(file.content);
    return 0;
  }
  fs.writeFileSync(localPath(output), file.content);
  ctx.io.err(`Wrote ${localPath(output)}.`);
  return 0;
}

/** The conversation asked for (`--conversation`), or a new one with the target and setting given. */
async function openConversation(ctx: CliContext, character: Character): Promise<ConversationView> {
  const { call, values } = ctx;
  const existing = str(values, 'conversation');
  const at = str(values, 'at');
  if (at !== undefined && existing === undefined)
    throw new UsageError('--at <message> goes with --conversation <id>: the message is one of its messages.');
  if (existing !== undefined) {
    const id = await findConversation(call, existing);
    const view = await call('chat/get', { id });
    if (view.conversation.characterId !== character.id)
      throw new StudioFailure('invalid_argument', `Conversation ${existing} is not one of ${character.shortName}'s.`);
    // The branch through that message, shown and continued from its newest end (as choosing a search hit does).
    return at === undefined ? view : call('chat/select', { messageId: at as ChatMessageId, conversationId: id });
  }
  const { target, runtime } = await targetOf(ctx, character);
  const scene = str(values, 'scene');
  const location = str(values, 'location');
  const status = str(values, 'status');
  if (scene !== undefined && (location !== undefined || status !== undefined))
    throw new UsageError('Give either --scene or --location/--status: a scene brings its own setting.');
  return call('chat/create', {
    characterId: character.id,
    target,
    runtime,
    ...(scene !== undefined && { sceneId: await findScene(call, scene) }),
    ...((location !== undefined || status !== undefined) && {
      setting: { location: location ?? '', status: status ?? '' },
    }),
    ...(str(values, 'title') !== undefined && { title: str(values, 'title')! }),
    ...(str(values, 'as') !== undefined && { userName: str(values, 'as')! }),
    sampling: samplingOf(ctx),
  });
}

/** `chat update`: what the conversation's next replies are made with; the replies written stay as they are. */
async function updateConversation(ctx: CliContext): Promise<number> {
  const { call, values } = ctx;
  const id = await findConversation(ctx.call, argument(ctx.rest, 1, '<conversation>', 'chat update'));
  const { conversation: current } = await call('chat/get', { id });
  const character = await findCharacter(call, current.characterId);
  const scene = str(values, 'scene');
  const location = str(values, 'location');
  const status = str(values, 'status');
  if (scene !== undefined && (location !== undefined || status !== undefined))
    throw new UsageError('Give either --scene or --location/--status: a scene brings its own setting.');
  const retarget = str(values, 'run') !== undefined || str(values, 'provider') !== undefined;
  const runtime = str(values, 'runtime');
  const sampling = samplingOf(ctx);
  const seed = str(values, 'seed');
  const resample = Object.keys(sampling).length > 0 || seed !== undefined;
  const title = str(values, 'title');
  const view = await call('chat/update', {
    id,
    ...(title !== undefined && { title }),
    ...(retarget ? await targetOf(ctx, character) : runtime !== undefined && { runtime: runtimeOf(runtime) }),
    ...(scene !== undefined && { settingFromSceneId: await findScene(call, scene) }),
    ...((location !== undefined || status !== undefined) && {
      setting: { location: location ?? current.setting.location, status: status ?? current.setting.status },
    }),
    ...(str(values, 'as') !== undefined && { userName: str(values, 'as')! }),
    // Replaced whole: what is not given stays; `--seed random` drops the seed, `--may-end` the ban.
    ...(resample && { sampling: settled({ ...withoutSeed(current.sampling, seed === 'random'), ...sampling }) }),
  });
  ctx.print(view.conversation, () => describeConversation(view));
  return 0;
}

/** The settings as stored: `ignoreEos` only when on. */
function settled(sampling: ChatSamplingSettings): ChatSamplingSettings {
  const { ignoreEos, ...rest } = sampling;
  return ignoreEos ? { ...rest, ignoreEos } : rest;
}

function withoutSeed(sampling: ChatSamplingSettings, drop: boolean): ChatSamplingSettings {
  if (!drop) return sampling;
  const { seed: _dropped, ...rest } = sampling;
  return rest;
}

/** The conversation's header as the terminal shows it: who answers, how, and where. */
function describeConversation(view: ConversationView): string {
  const c = view.conversation;
  const s = c.sampling;
  return [
    `“${c.title}” [${c.id}] with ${view.characterName}`,
    `Answers: ${c.target.kind === 'run' ? `run ${c.target.runId}` : `baseline ${c.target.model}`} (${c.runtime})`,
    `Sampling: temperature ${s.temperature}, top-p ${s.topP}, at most ${s.maxTokens} tokens, ` +
      (s.seed === undefined ? 'random seed' : `seed ${s.seed}`) +
      (s.ignoreEos ? ', never ends on its own' : ''),
    ...(c.setting.location ? [`Location: ${c.setting.location}`] : []),
    ...(c.setting.status ? [`Status: ${c.setting.status}`] : []),
    `You speak as: ${c.userName || 'Man (the paper’s interviewer)'}`,
  ].join('\n');
}

function runtimeOf(asked: string): ChatRuntimeKind {
  if (!RUNTIMES.includes(asked as ChatRuntimeKind))
    throw new UsageError(`--runtime must be embedded, served or endpoint, not "${asked}".`);
  return asked as ChatRuntimeKind;
}

const RUNTIMES: readonly ChatRuntimeKind[] = ['embedded', 'served', 'endpoint'];

/** `--provider [--model]` (a baseline), else `--run` or the latest finished run, with its best runtime. */
async function targetOf(
  ctx: CliContext,
  character: Character,
): Promise<{ target: ChatTarget; runtime: ChatRuntimeKind }> {
  const { call, values } = ctx;
  const runtime = str(values, 'runtime');
  const asked = runtime === undefined ? undefined : runtimeOf(runtime);
  const providerKey = str(values, 'provider');
  if (providerKey !== undefined) {
    if (str(values, 'run') !== undefined) throw new UsageError('Give either --run or --provider, not both.');
    if (asked !== undefined && asked !== 'endpoint')
      throw new UsageError('A provider answers through its endpoint: leave out --runtime or use --runtime endpoint.');
    const provider = await findProvider(call, providerKey);
    const model = str(values, 'model') ?? provider.model;
    return { target: { kind: 'baseline', providerId: provider.id, model }, runtime: 'endpoint' };
  }
  const targets = await call('chat/targets', { characterId: character.id });
  const wanted = str(values, 'run');
  const run = wanted
    ? targets.runs.find((r) => r.runId === wanted || r.runId.startsWith(wanted))
    : targets.runs.find((r) => r.runtimes.some((o) => o.available));
  if (!run)
    throw new StudioFailure(
      'not_found',
      wanted
        ? `${character.fullName} has no training run "${wanted}"; see them on the Train tab.`
        : `${character.fullName} has no finished training run to chat with. Train one (character-studio train), or chat with a baseline: --provider <provider> --model <id>.`,
    );
  const option = asked ? run.runtimes.find((o) => o.kind === asked) : run.runtimes.find((o) => o.available);
  if (!option?.available)
    throw new StudioFailure('unavailable', option?.reason ?? `No runtime can answer for run ${run.runId}.`);
  return { target: { kind: 'run', runId: run.runId }, runtime: option.kind };
}

function samplingOf(ctx: CliContext): Partial<ChatSamplingSettings> {
  const { values } = ctx;
  const out: Partial<ChatSamplingSettings> = {};
  if (values['temperature'] !== undefined)
    out.temperature = numberOption(str(values, 'temperature'), '--temperature', 0);
  if (values['top-p'] !== undefined) out.topP = numberOption(str(values, 'top-p'), '--top-p', 1);
  if (values['max-tokens'] !== undefined) out.maxTokens = numberOption(str(values, 'max-tokens'), '--max-tokens', 1);
  const seed = str(values, 'seed');
  if (seed !== undefined && seed !== 'random') out.seed = numberOption(seed, '--seed', 0);
  if (values['never-end'] === true && values['may-end'] === true)
    throw new UsageError('Give either --never-end or --may-end, not both.');
  if (values['never-end'] === true) out.ignoreEos = true;
  if (values['may-end'] === true) out.ignoreEos = false;
  return out;
}

/** One reply for scripts: `{conversationId, reply}` on stdout; exit code 1 when the reply was cut. */
async function oneShot(
  ctx: CliContext,
  view: ConversationView,
  text: string,
  sampling: Partial<ChatSamplingSettings>,
): Promise<number> {
  const reply = await ctx.call('chat/send', { conversationId: view.conversation.id, text, sampling });
  ctx.print({ conversationId: view.conversation.id, reply }, () => showReply(reply, true));
  if (reply.state === 'cut') ctx.io.err(`The reply was cut: ${reply.error ?? 'the runtime failed'}`);
  return reply.state === 'cut' ? 1 : 0;
}

/**
 * `--continue`: more of the conversation's last reply (stopped or cut off), written on in the same
 * message (stdout: the whole reply, or `{conversationId, reply}` with --json); exit code 1 when it
 * is cut off again.
 */
async function continueLast(
  ctx: CliContext,
  view: ConversationView,
  sampling: Partial<ChatSamplingSettings>,
): Promise<number> {
  const last = view.path.at(-1)?.message;
  if (!last || last.role !== 'character')
    throw new StudioFailure(
      'invalid_argument',
      `The conversation does not end with a reply of ${view.characterName}'s: there is nothing to continue.`,
    );
  const reply = await ctx.call('chat/continue', { conversationId: view.conversation.id, messageId: last.id, sampling });
  ctx.print({ conversationId: view.conversation.id, reply }, () => showReply(reply, true));
  if (reply.state === 'cut') ctx.io.err(`The reply was cut off again: ${reply.error ?? 'the runtime failed'}`);
  return reply.state === 'cut' ? 1 : 0;
}
