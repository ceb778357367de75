import fs from 'node:fs';
import path from 'node:path';
import type { CardFormat, RunId } from '../../../common/contract';
import { StudioFailure } from '../../core/errors';
import { argument, findCharacter, localPath, readFile, str, UsageError, type CliContext } from '../shared';
import { counted } from '../../../common/plural';
import { unknownSubcommand } from '../command-hints';

const CARD_FORMATS: readonly CardFormat[] = ['v2-png', 'v3-png', 'v2-json', 'v3-json'];

/** `card import|export`: the Characters screen's "Import a card" and "Export card…". */
export async function cardCommand(sub: string, ctx: CliContext): Promise<number> {
  const { call, values, rest, print } = ctx;
  switch (sub) {
    case 'import': {
      const file = argument(rest, 1, '<file.png|file.json|file.charx>');
      const into = str(values, 'character');
      const character = into ? await findCharacter(call, into) : null;
      const result = await call('cards/import', {
        fileBase64: readFile(file).toString('base64'),
        fileName: path.basename(file),
        ...(character && { characterId: character.id }),
      });
      print(
        result,
        () =>
          (character
            ? `Imported the ${result.spec.toUpperCase()} card "${result.profile.title}" into ${result.character.fullName} as a profile, `
            : `Imported the ${result.spec.toUpperCase()} card of ${result.character.fullName} as a new character: profile "${result.profile.title}", `) +
          `${counted(result.profile.chunks.length, 'chunk')}, ${counted(result.profile.words, 'word')}${result.image ? ', with its picture' : ''}.`,
      );
      return 0;
    }
    case 'export': {
      const character = await findCharacter(call, argument(rest, 1, '<character>'));
      const format = str(values, 'format') ?? 'v3-png';
      if (!(CARD_FORMATS as readonly string[]).includes(format)) {
        throw new UsageError(`card export takes --format ${CARD_FORMATS.join('|')} (not "${format}").`);
      }
      const out = str(values, 'out');
      if (!out) throw new UsageError('card export needs --out <file> (or a folder to write the card into).');
      const run = str(values, 'run');
      const card = await call('cards/export', {
        characterId: character.id,
        format: format as CardFormat,
        ...(run && { runId: run as RunId }),
      });
      const target = localPath(out);
      const file = isFolder(target) ? path.join(target, card.fileName) : target;
      try {
        fs.writeFileSync(file, Buffer.from(card.base64, 'base64'));
      } catch (error) {
        throw new StudioFailure(
          'invalid_argument',
          `Could not write ${file}: ${error instanceof Error ? error.message : String(error)}.`,
        );
      }
      print(
        { ...card, base64: undefined, path: file },
        () =>
          `Wrote the ${card.trained ? 'trained ' : ''}${card.spec.toUpperCase()} card of ${character.fullName} to ${file} ` +
          `(${card.bytes} bytes${card.mime === 'image/png' ? (card.ownImage ? ', in its picture' : ', on a generated portrait') : ''}).`,
      );
      return 0;
    }
    default:
      throw unknownSubcommand('card', sub);
  }
}

function isFolder(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
