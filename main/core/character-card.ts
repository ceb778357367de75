import { StudioFailure } from './errors';
import { MAX_PROFILE_BYTES, megabytes } from './profile-text';
import type { CardData } from './cards/spec';

/**
 * A character card (read by cards/read.ts from a PNG, JSON or CHARX file) as a profile. A card
 * becomes a Markdown profile: the description, personality, scenario and example dialogue, with
 * `{{char}}` replaced by the character's name and `{{user}}` by "the visitor". Replacement is
 * literal: a name such as `A$&B` is written as it is, never read as a replacement pattern.
 */

export interface CardProfile {
  name: string;
  markdown: string;
}

const CHAR = /\{\{char\}\}|<BOT>/gi;
const USER = /\{\{user\}\}|<USER>/gi;
const VISITOR = 'the visitor';

/** The profile of a card read from a file of `fileBytes` bytes named `fileName`. */
export function cardProfile(fields: CardData, fileName: string, fileBytes: number): CardProfile {
  const text = (value: string) => value.trim();
  // A name is one line: it becomes the `# Name` title line of the profile.
  const name = fields.name.trim().replace(/\s+/g, ' ');
  const sections: [string, string][] = [
    ['Description', fields.description],
    ['Personality', fields.personality],
    ['Scenario', fields.scenario],
    ['First message', fields.first_mes],
    ['Example dialogue', fields.mes_example],
  ];
  checkFilledSize(
    sections.map(([, value]) => text(value)),
    name,
    fileName,
    fileBytes,
  );
  // Function replacers: a string replacement would read `$&`, `$'` and `$1` in the name as patterns.
  const fill = (value: string) =>
    text(value)
      .replace(CHAR, () => name)
      .replace(USER, () => VISITOR);
  const body = sections
    .map(([heading, value]) => [heading, fill(value)] as const)
    .filter(([, value]) => value.length > 0)
    .map(([heading, value]) => `## ${heading}\n${value.replace(/\n{2,}/g, '\n')}`);
  if (body.length === 0) {
    throw new StudioFailure(
      'invalid_argument',
      `The card of ${name} is empty: it has no description, personality or scenario to build a profile from.`,
    );
  }
  return { name, markdown: `# ${name}\n\n${body.join('\n\n')}\n` };
}

/**
 * Refuses a card whose text would outgrow a profile once `{{char}}` is filled in (a long name used
 * many times), before building that text, and says so with the real size of the file.
 */
function checkFilledSize(fields: readonly string[], name: string, fileName: string, fileBytes: number): void {
  const nameBytes = Buffer.byteLength(name, 'utf8');
  let bytes = nameBytes;
  let names = 0;
  for (const field of fields) {
    const chars = field.match(CHAR)?.length ?? 0;
    const users = field.match(USER)?.length ?? 0;
    names += chars;
    bytes += Buffer.byteLength(field, 'utf8') + chars * nameBytes + users * VISITOR.length;
  }
  if (bytes <= MAX_PROFILE_BYTES) return;
  throw new StudioFailure(
    'too_large',
    `The card in ${fileName} (a ${megabytes(fileBytes)} file) would become a ${megabytes(bytes)} profile once its ` +
      `name (${name.length} characters) is written in for {{char}} ${names} times; a profile can be at most ` +
      `${megabytes(MAX_PROFILE_BYTES)}. Shorten the card's name or its text in the app that made it.`,
  );
}
