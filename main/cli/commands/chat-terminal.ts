import readline from 'node:readline';
import type {
  ChatSamplingSettings,
  ConversationId,
  ConversationMessage,
  ConversationView,
  Events,
} from '../../../common/contract';
import type { CliContext } from '../shared';
import { alternativeLine } from './chat-show';

/**
 * The terminal chat of `chat <character>` (readline): a line sends; `/regen` writes another reply,
 * `/continue` goes on from the last reply when it was stopped or cut off (in the same message),
 * `/edit <text>` rewrites the character's last reply (the original stays, an alternative),
 * `/correct` sends that rewrite to the dataset as a chat-correction scene, `/alt` lists the last
 * reply's alternatives with their first words and `/alt <n>` shows alternative n (the screen's
 * ‹ 2 / 3 ›), `/thoughts` shows or hides the character's thoughts, `/quit` (or Ctrl+D) ends.
 * Ctrl+C stops a reply; twice in a row exits. Lines come from `io.input` when given (tests), else
 * standard input.
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
      "\n/alt list the last reply's alternatives · /alt <n> show alternative n" +
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
      const note = unfinishedNote(m);
      if (note) io.err(note);
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
      } else if (text === '/alt' || text.startsWith('/alt ')) {
        await alternative(ctx, id, text.slice('/alt'.length).trim(), name, thoughts);
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

/** What to do about a reply that did not end by itself (stopped, cut off); null for one that did. */
function unfinishedNote(m: ConversationMessage): string | null {
  if (m.state === 'cancelled') return '(stopped; /continue goes on)';
  if (m.state === 'cut') return `(cut: ${m.error ?? 'the runtime failed'}; /continue goes on, /regen retries)`;
  return null;
}

/**
 * `/alt`: the alternatives of the character's last reply on the path (regenerated, rewritten), each
 * with its first words, as the screen's ‹ 2 / 3 › lists them; `/alt <n>`: alternative n shown
 * instead, with what followed it on its newest branch (`chat/select`, as the screen's arrows), so
 * the next message answers it.
 */
async function alternative(ctx: CliContext, id: ConversationId, wanted: string, name: string, thoughts: boolean) {
  const { io } = ctx;
  const { path } = await ctx.call('chat/get', { id });
  const at = path.findLastIndex((s) => s.message.role === 'character');
  const step = path[at];
  if (!step) {
    io.err(`${name} has not replied yet: no alternatives to show.`);
    return;
  }
  const count = step.siblings.length;
  if (count === 1) {
    io.err(`${name}'s last reply has no alternatives yet: /regen writes another, /edit <text> rewrites it.`);
    return;
  }
  if (wanted === '') {
    io.err(
      [
        `${name}'s last reply has ${count} alternatives (‹ ${step.index + 1} / ${count} › shown):`,
        ...step.alternatives.map((a) => `  ${alternativeLine(a)}${a.position === step.index + 1 ? '  ← shown' : ''}`),
        '/alt <n> shows another.',
      ].join('\n'),
    );
    return;
  }
  const n = /^\d+$/.test(wanted) ? Number(wanted) : 0;
  if (n < 1 || n > count) {
    io.err(`/alt ${wanted}: ${name}'s last reply has ${count} alternatives; give one from 1 to ${count} (/alt 2).`);
    return;
  }
  try {
    const view = await ctx.call('chat/select', { messageId: step.siblings[n - 1]!, conversationId: id });
    const shown = view.path.slice(at);
    for (const s of shown) io.out(showReply(s.message, thoughts));
    const note = shown.length === 1 ? unfinishedNote(shown[0]!.message) : null;
    io.err(`(alternative ${n} of ${count}${note ? `; ${note.slice(1, -1)}` : ''})`);
  } catch (error) {
    io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
  }
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
