import type { ChatMessageId, ConversationView, MessageAlternative, PathStep } from '../../../common/contract';
import { StudioFailure } from '../../core/errors';
import { argument, findConversation, str, UsageError, type CliContext } from '../shared';

/**
 * `chat show <conversation> [--alt <step>:<n> | --alt <message>]`: the path shown, one message a
 * line, numbered, each with its id and, where it has alternatives (regenerated, edited, answered
 * again after a Branch), which one it is and each one's id and first words: the screen's ‹ 2 / 3 ›. `--alt`
 * switches as the screen's arrows do (`chat/select`): to alternative n of message `step`, or to the
 * alternative whose id (or its start) is given, and on down its newest branch; then shows the path.
 */
export async function showConversation(ctx: CliContext): Promise<number> {
  const id = await findConversation(ctx.call, argument(ctx.rest, 1, '<conversation>', 'chat show'));
  let view = await ctx.call('chat/get', { id });
  const alt = str(ctx.values, 'alt');
  if (alt !== undefined) {
    const messageId = alternativeOf(view, alt);
    view = await ctx.call('chat/select', { messageId, conversationId: id });
  }
  ctx.print(view, () => pathText(view));
  return 0;
}

/** The alternative `--alt` names: `<step>:<n>` (both 1-based), or an alternative's id or its start. */
export function alternativeOf(view: ConversationView, alt: string): ChatMessageId {
  const { path } = view;
  const numbered = /^(\d+):(\d+)$/.exec(alt.trim());
  if (numbered) {
    const step = path[Number(numbered[1]) - 1];
    if (!step)
      throw new UsageError(
        `--alt ${alt}: the path shown has ${path.length} messages; number one of them (1–${path.length}).`,
      );
    const chosen = step.siblings[Number(numbered[2]) - 1];
    if (!chosen)
      throw new UsageError(
        `--alt ${alt}: message ${numbered[1]} has ${step.siblings.length} alternative${step.siblings.length === 1 ? '' : 's'}; give one from 1 to ${step.siblings.length}.`,
      );
    return chosen;
  }
  const key = alt.trim();
  const found = [...new Set(path.flatMap((s) => s.siblings))].filter((m) => key !== '' && m.startsWith(key));
  if (found.length === 1) return found[0]!;
  throw new StudioFailure(
    found.length === 0 ? 'not_found' : 'conflict',
    found.length === 0
      ? `--alt ${alt}: no alternative of the path shown has that id. Give <message number>:<alternative>, e.g. --alt 2:1, or an id that chat show lists.`
      : `--alt ${alt}: ${found.length} alternatives start with it; give more of the id.`,
  );
}

/** The path as `chat show` prints it. */
export function pathText(view: ConversationView): string {
  const c = view.conversation;
  const lines = [`“${c.title}” [${c.id}] with ${view.characterName}`];
  if (view.path.length === 0) lines.push('No messages yet.');
  view.path.forEach((step, at) => lines.push(...stepLines(step, at + 1)));
  if (view.continuation > 0)
    lines.push(
      `(branched here: ${view.continuation} more message${view.continuation === 1 ? '' : 's'} after this one on its newest branch)`,
    );
  if (view.path.some((s) => s.siblings.length > 1))
    lines.push(`To show another alternative: character-studio chat show ${c.id} --alt <message>:<alternative>`);
  return lines.join('\n');
}

function stepLines({ message: m, siblings, index, alternatives }: PathStep, position: number): string[] {
  const who = m.role === 'user' ? `You (${m.speaker})` : m.speaker;
  const marks = [
    siblings.length > 1 && `‹ ${index + 1} / ${siblings.length} ›`,
    m.editedFrom && 'edited',
    m.state === 'cancelled' && 'stopped',
    m.state === 'cut' && 'cut off',
    m.state === 'streaming' && 'being written',
  ].filter((mark): mark is string => typeof mark === 'string');
  const head = `${String(position).padStart(2)} [${m.id}] ${who}${marks.length ? ` (${marks.join(', ')})` : ''}:`;
  const lines = [`${head} ${m.text}`];
  if (m.reasoning) lines.push(`     (${m.reasoning.trim()})`);
  if (alternatives.length > 1) {
    lines.push('     alternatives:');
    for (const a of alternatives)
      lines.push(`       ${position}:${alternativeLine(a)}${a.position === index + 1 ? '  ← shown' : ''}`);
  }
  return lines;
}

/**
 * One alternative as the terminal lists it: its number, id, marks and first words, e.g.
 * `2 [m_…] (edited) “Guten Abend…”`. Shared by `chat show` and the terminal chat's `/alt`.
 */
export function alternativeLine(a: MessageAlternative): string {
  const marks = [
    a.edited && 'edited',
    a.state === 'cancelled' && 'stopped',
    a.state === 'cut' && 'cut off',
    a.state === 'streaming' && 'being written',
  ].filter((mark): mark is string => typeof mark === 'string');
  const words = a.preview === '' ? '(says nothing)' : `“${a.preview}”`;
  return `${a.position} [${a.id}]${marks.length ? ` (${marks.join(', ')})` : ''} ${words}`;
}
