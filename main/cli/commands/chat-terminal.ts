import readline from 'node:readline';
import type {
  ChatSamplingSettings,
  ConversationId,
  ConversationMessage,
  ConversationView,
  Events,
} from '../../../common/contract';
import type { CliContext } from '../shared';

/**
 * The terminal chat of `chat <character>` (readline): a line sends; `/regen` writes another reply,
 * `/continue` goes on from the last reply when it was stopped or cut off (in the same message),
 * `/edit <text>` rewrites the character's last reply (the original stays, an alternative),
 * `/correct` sends that rewrite to the dataset as a chat-correction scene, `/thoughts` shows or
 * hides the character's thoughts, `/quit` (or Ctrl+D) ends. Ctrl+C stops a reply; twice in a row
 * exits. Lines come from `io.input` when given (tests), else standard input.
 */

export function showReply(m: ConversationMessage, thoughts: boolean): string {
  const lines: string[] = [];
  if (thoughts && m.reasoning) lines.push(`  (${m.reasoning.trim()})`);
  lines.push(`${m.speaker}: ${m.text}`);
  return lines.join('\n');
}

export async function interactive(
  ctx: CliContext,
  view: ConversationView,
  sampling: Partial<ChatSamplingSettings>,
): Promise<number> {
  const { io, studio } = ctx;
  const id = view.conversation.id;
  let thoughts = true;
  /** Whether speech (`streamed`) or thoughts (`thinking`, shown in parentheses) of the reply are on screen. */
  let streamed = false;
  let thinking = false;
  const name = view.characterName;
  io.err(
    `Chatting with ${name} (${view.conversation.runtime}) in “${view.conversation.title}” [${id}].` +
      (view.conversation.setting.location ? `\nLocation: ${view.conversation.setting.location}` : '') +
      (view.conversation.setting.status ? `\nStatus: ${view.conversation.setting.status}` : '') +
      '\n/regen another reply · /continue go on from a stopped or cut-off reply' +
      '\n/edit <text> rewrite its last reply · /correct send the rewrite to the dataset' +
      '\n/thoughts show or hide thoughts · /quit ends · Ctrl+C stops a reply',
  );
  for (const step of view.path) io.out(showReply(step.message, thoughts));
  // The reply streams as it comes, through io (the redactor sees each piece of it).
  const write = io.write;
  const off = studio.events.subscribe((event, payload) => {
    if (event === 'chat/status') {
      const status = payload as Events['chat/status'];
      if (status.conversationId === id && status.state === 'loading') io.err(status.detail ?? 'Loading the model…');
      return;
    }
    if (event !== 'chat/delta') return;
    const delta = payload as Events['chat/delta'];
    if (delta.conversationId !== id) return;
    if (delta.reasoning && thoughts) {
      if (!thinking) write('  (');
      thinking = true;
      write(delta.reasoning);
    }
    if (delta.text) {
      if (thinking) write(')\n');
      thinking = false;
      if (!streamed) write(`${name}: `);
      streamed = true;
      write(delta.text);
    }
  });
  const input = io.input ?? process.stdin;
  const rl = readline.createInterface({
    input,
    output: process.stderr,
    terminal: input === process.stdin && process.stdin.isTTY,
  });
  let replying = false;
  let lastInterrupt = 0;
  rl.on('SIGINT', () => {
    if (replying) {
      void ctx.call('chat/stop', { conversationId: id });
      return;
    }
    const now = Date.now();
    if (now - lastInterrupt < 2_000) rl.close();
    else io.err('(Ctrl+C again to leave)');
    lastInterrupt = now;
  });
  /** Writes a reply as it streams; `soFar`: the text it goes on from (Continue), shown first. */
  const reply = async (run: () => Promise<ConversationMessage>, soFar?: string) => {
    replying = true;
    streamed = soFar !== undefined;
    thinking = false;
    if (soFar !== undefined) write(`${name}: ${soFar}`);
    try {
      const m = await run();
      if (thinking) write(')\n');
      write(streamed ? '\n' : `${showReply(m, false)}\n`);
      if (m.state === 'cancelled') io.err('(stopped; /continue goes on)');
      if (m.state === 'cut') io.err(`(cut: ${m.error ?? 'the runtime failed'}; /continue goes on, /regen retries)`);
    } catch (error) {
      if (streamed) write('\n');
      io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      replying = false;
    }
  };
  rl.setPrompt('> ');
  rl.prompt();
  try {
    for await (const line of rl) {
      const text = line.trim();
      if (text === '/quit') break;
      if (text === '/thoughts') {
        thoughts = !thoughts;
        io.err(thoughts ? '(thoughts shown)' : '(thoughts hidden)');
      } else if (text === '/regen') {
        const current = await ctx.call('chat/get', { id });
        const parent = current.path.findLast((s) => s.message.role === 'user');
        if (parent)
          await reply(() => ctx.call('chat/reply', { conversationId: id, parentId: parent.message.id, sampling }));
        else io.err('Say something first.');
      } else if (text === '/continue') {
        const last = (await ctx.call('chat/get', { id })).path.at(-1)?.message;
        if (last?.role === 'character')
          await reply(() => ctx.call('chat/continue', { conversationId: id, messageId: last.id, sampling }), last.text);
        else io.err(`${name} has not replied yet: nothing to continue.`);
      } else if (text === '/edit' || text.startsWith('/edit ') || text === '/correct') {
        await rewrite(ctx, id, text, name);
      } else if (text !== '') {
        await reply(() => ctx.call('chat/send', { conversationId: id, text, sampling }));
      }
      rl.prompt();
    }
  } finally {
    off();
    rl.close();
  }
  io.err(`Saved as conversation ${id}.`);
  return 0;
}

/**
 * `/edit <text>`: the character's last reply rewritten, as an alternative beside it ("edited by the
 * user"); `/correct`: that rewrite sent to the dataset as a chat-correction scene.
 */
async function rewrite(ctx: CliContext, id: ConversationId, command: string, name: string): Promise<void> {
  const { io } = ctx;
  const last = (await ctx.call('chat/get', { id })).path.findLast((s) => s.message.role === 'character');
  if (!last) {
    io.err(`${name} has not replied yet: nothing to ${command === '/correct' ? 'correct' : 'edit'}.`);
    return;
  }
  try {
    if (command === '/correct') {
      const { sceneId } = await ctx.call('chat/correct', { messageId: last.message.id });
      io.err(`Sent to the dataset as scene ${sceneId} (a chat correction, accepted).`);
      return;
    }
    const text = command.slice('/edit'.length).trim();
    if (!text) {
      io.err(`Give the reply as ${name} should have said it: /edit <text>.`);
      return;
    }
    await ctx.call('chat/edit', { messageId: last.message.id, text });
    io.err(`(rewritten; the original stays as an alternative. /correct sends it to the dataset)`);
  } catch (error) {
    io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
  }
}
