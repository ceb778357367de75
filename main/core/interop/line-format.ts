/**
 * What one JSON-lines dataset format does: render a scene as its line, recognise and read a line
 * back, and point axolotl and LLaMA-Factory at a file of it. Each format lives in its own file;
 * `registry.ts` lists them.
 */
import type { DatasetFormat } from '../../../common/contract';
import type { CharacterNames } from './chat-codec';
import type { ImportedItem, InteropScene } from './scene-record';

export interface LineFormat {
  id: Exclude<DatasetFormat, 'hf'>;
  /** For messages: "the paper's SFT lines {prompt, output, source}". */
  describe: string;
  /** The scene's line, without its newline. */
  write(scene: InteropScene): string;
  /** Whether a parsed line looks like this format (decided from its keys only). */
  looks(value: Record<string, unknown>): boolean;
  /** One parsed line as a scene; throws ItemError naming the field that is wrong. */
  read(value: Record<string, unknown>, names: CharacterNames): ImportedItem;
  /** An axolotl `datasets:` entry for a file of this format at `path`. */
  axolotl(path: string): Record<string, unknown>;
  /** A LLaMA-Factory dataset_info.json entry for `fileName` (relative to dataset_dir). */
  llamaFactory(fileName: string): Record<string, unknown>;
}

/**
 * A string as Python's `json.dumps` writes it (ensure_ascii: every character outside space..~ as a
 * lowercase `\uXXXX`): the paper's released files were written so, and "byte for byte" means this.
 */
export function pythonJsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** How a chat format names its list, roles and content: what both tools' configs need to read it. */
export interface ChatShape {
  field: string;
  role: string;
  content: string;
  system: string;
  user: string;
  assistant: string;
}

/** The axolotl `chat_template` entry and the LLaMA-Factory `sharegpt` entry for a chat-shaped file. */
export function chatToolConfigs(shape: ChatShape): Pick<LineFormat, 'axolotl' | 'llamaFactory'> {
  const plain = shape.role === 'role' && shape.content === 'content';
  return {
    axolotl: (path) => ({
      path,
      ds_type: 'json',
      type: 'chat_template',
      field_messages: shape.field,
      ...(!plain && {
        message_property_mappings: { role: shape.role, content: shape.content },
        roles: { system: [shape.system], user: [shape.user], assistant: [shape.assistant] },
      }),
      roles_to_train: ['assistant'],
    }),
    llamaFactory: (fileName) => ({
      file_name: fileName,
      formatting: 'sharegpt',
      columns: { messages: shape.field },
      tags: {
        role_tag: shape.role,
        content_tag: shape.content,
        user_tag: shape.user,
        assistant_tag: shape.assistant,
        system_tag: shape.system,
      },
    }),
  };
}
