import type { Conversation, ConversationMessage, PathStep } from '../../../common/contract';

/**
 * A conversation as a file. Markdown is for reading: the path shown, with thoughts apart and the
 * number of alternatives at each step. JSON is the whole tree (every alternative and branch), with
 * the path shown and what produced each reply: enough to rebuild the conversation.
 */

export const CONVERSATION_EXPORT_VERSION = 1;

export function fileNameOf(conversation: Conversation, extension: 'md' | 'json'): string {
  const base = conversation.title
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .slice(0, 60)
    .toLowerCase();
  return `${base || 'conversation'}.${extension}`;
}

function targetLine(c: Conversation): string {
  return c.target.kind === 'run' ? `trained run ${c.target.runId}` : `baseline ${c.target.model}`;
}

export function conversationMarkdown(
  conversation: Conversation,
  path: readonly PathStep[],
  characterName: string,
): string {
  const out = [`# ${conversation.title}`, ''];
  out.push(`- Character: ${characterName}`);
  out.push(`- Talking to: ${targetLine(conversation)}, through ${conversation.runtime}`);
  if (conversation.setting.location) out.push(`- Location and time: ${conversation.setting.location}`);
  if (conversation.setting.status) out.push(`- Status: ${conversation.setting.status}`);
  out.push(`- Started: ${new Date(conversation.createdAt).toISOString()}`, '');
  for (const { message, siblings, index } of path) {
    const alternatives = siblings.length > 1 ? ` _(alternative ${index + 1} of ${siblings.length})_` : '';
    out.push(`**${message.speaker}**${alternatives}`, '');
    if (message.reasoning?.trim()) out.push(...quote(message.reasoning.trim()), '');
    out.push(message.text.trim() || '_(says nothing)_');
    const notes = notesOf(message);
    if (notes) out.push('', `_${notes}_`);
    out.push('');
  }
  return out.join('\n');
}

function quote(text: string): string[] {
  return text.split('\n').map((line) => `> _${line}_`);
}

function notesOf(m: ConversationMessage): string {
  const notes: string[] = [];
  if (m.editedFrom) notes.push('edited by the user');
  if (m.state === 'cancelled') notes.push('stopped by the user');
  if (m.state === 'cut') notes.push(`cut: ${m.error ?? 'the runtime failed'}`);
  if (m.finish === 'length') notes.push('ended at the token limit');
  return notes.join('; ');
}

export function conversationJson(
  conversation: Conversation,
  messages: readonly ConversationMessage[],
  path: readonly PathStep[],
  characterName: string,
): string {
  return JSON.stringify(
    {
      version: CONVERSATION_EXPORT_VERSION,
      conversation,
      characterName,
      path: path.map((s) => s.message.id),
      messages,
    },
    null,
    2,
  );
}
