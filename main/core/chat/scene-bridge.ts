import type { ConversationMessage, ConversationSetting, Scene, SceneDoc, Turn } from '../../../common/contract';
import type { ChatRuntimeMessage } from '../runtimes/chat-runtime';
import { locTime } from '../trainer/dataset-export';
import { settingMessage } from '../runtimes/chat-runtime';

/**
 * The two ways between a dataset scene and a conversation: a scene as a conversation's start (its
 * setting and its turns as history), and a corrected conversation as a scene ("chat correction").
 */

/** The scene's setting as training renders it: `loc_time` and the background as the status. */
export function settingOfScene(scene: Scene): ConversationSetting {
  return { location: locTime(scene), status: (scene.experience?.background || scene.background).trim() };
}

/** A history message read from a scene: the user's side, or the character's with its thoughts. */
export interface SceneLine {
  role: 'user' | 'character';
  speaker: string;
  text: string;
  reasoning: string | null;
}

/**
 * The scene's turns as messages: the character's thinking (and actions) go into the reasoning of
 * its next speaking turn, as the trainer's `serve` returns them; others' turns are the user's side
 * (an action in parentheses). Empty turns carry nothing and are left out.
 */
export function linesOfScene(scene: Scene, shortName: string): SceneLine[] {
  const lines: SceneLine[] = [];
  let thoughts: string[] = [];
  const me = shortName.trim().toLowerCase();
  for (const turn of scene.experience?.turns ?? []) {
    const text = turn.text.trim();
    if (!text) continue;
    if (turn.speaker.trim().toLowerCase() === me) {
      if (turn.kind !== 'speaking') {
        thoughts.push(turn.kind === 'action' ? `(${text})` : text);
        continue;
      }
      lines.push({
        role: 'character',
        speaker: shortName,
        text,
        reasoning: thoughts.length ? thoughts.join('\n') : null,
      });
      thoughts = [];
    } else {
      lines.push({
        role: 'user',
        speaker: turn.speaker.trim(),
        text: turn.kind === 'action' ? `(${text})` : text,
        reasoning: null,
      });
    }
  }
  // Thoughts with no speech after them still belong to the character.
  if (thoughts.length) lines.push({ role: 'character', speaker: shortName, text: '', reasoning: thoughts.join('\n') });
  return lines;
}

/**
 * The path as the runtime reads it: the setting first, then each message. A trained run reads the
 * setting exactly as it was trained on (`settingMessage`, the paper's scene header, even when
 * empty). A baseline was trained on no character, so its system message says whom it plays first
 * (`roleplay`: the interviews' prompted-baseline prompt) and then only the setting lines given.
 */
export function runtimeMessages(
  setting: ConversationSetting,
  path: readonly ConversationMessage[],
  roleplay: string | null = null,
): ChatRuntimeMessage[] {
  const out: ChatRuntimeMessage[] = [roleplay === null ? settingMessage(setting) : baselineSystem(roleplay, setting)];
  for (const m of path) {
    if (m.role === 'user') out.push({ role: 'user', content: m.text, name: m.speaker });
    else out.push({ role: 'assistant', content: m.text, ...(m.reasoning && { reasoning: m.reasoning }) });
  }
  return out;
}

function baselineSystem(roleplay: string, setting: ConversationSetting): ChatRuntimeMessage {
  const lines = [
    setting.location.trim() && `Location: ${setting.location.trim()}`,
    setting.status.trim() && `Status: ${setting.status.trim()}`,
  ].filter((line) => line !== '');
  return { role: 'system', content: lines.length ? `${roleplay}\n\n${lines.join('\n')}` : roleplay };
}

/**
 * A conversation path ending at a corrected reply, as the scene the next training run learns from:
 * the setting as location and background, each message as a turn (the character's thoughts as a
 * thinking turn before its speech), messages without text left out.
 */
export function correctionDoc(setting: ConversationSetting, path: readonly ConversationMessage[]): SceneDoc {
  const turns: Turn[] = [];
  const people = new Set<string>();
  for (const m of path) {
    if (m.role === 'user') people.add(m.speaker);
    if (m.reasoning?.trim()) turns.push({ speaker: m.speaker, kind: 'thinking', text: m.reasoning.trim() });
    if (m.text.trim()) turns.push({ speaker: m.speaker, kind: 'speaking', text: m.text.trim() });
  }
  return {
    type: 'chat correction',
    location: setting.location,
    time: '',
    background: setting.status,
    people: [...people],
    experienceBackground: setting.status,
    turns,
  };
}
