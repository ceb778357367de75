/**
 * Alpaca lines: `{"instruction": <meta prompt>, "input": <the turns before the character's last
 * reply>, "output": <that reply to the end>, "character_studio": {id, kind, short_name}}`. Input
 * and output are the paper's `Name (kind): text<|eot|>` lines, so a model trained on them answers
 * the way the paper's inference asks (prime `Short (`, stop on `<|eot|>`), and nothing is lost.
 */
import type { SceneKind } from '../../../common/contract';
import { isRecord } from './chat-codec';
import type { LineFormat } from './line-format';
import { guessShortName } from './paper';
import { ItemError, metaPrompt, readMetaPrompt, readPaperTurns, renderPaperTurns } from './scene-record';

const KINDS: readonly SceneKind[] = ['normal', 'protective', 'hand', 'chat_correction'];

export const alpacaFormat: LineFormat = {
  id: 'alpaca',
  describe: 'Alpaca lines {instruction, input, output}',
  write(scene) {
    let start = scene.turns.length;
    const last = scene.turns.findLastIndex((t) => t.speaker === scene.shortName);
    if (last >= 0) {
      start = last;
      while (start > 0 && scene.turns[start - 1]!.speaker === scene.shortName) start--;
    }
    return JSON.stringify({
      instruction: metaPrompt(scene.fullName, scene.location, scene.background).trimEnd(),
      input: renderPaperTurns(scene.turns.slice(0, start)),
      output: renderPaperTurns(scene.turns.slice(start)),
      character_studio: { id: scene.id, kind: scene.kind, short_name: scene.shortName },
    });
  },
  looks: (value) => 'instruction' in value && 'output' in value,
  read(value, names) {
    const { instruction, input, output } = value;
    if (typeof instruction !== 'string') throw new ItemError('instruction must be a string');
    if (typeof output !== 'string') throw new ItemError('output must be a string');
    if (input !== undefined && typeof input !== 'string') throw new ItemError('input must be a string');
    const meta = readMetaPrompt(`${instruction}\n\n`);
    const turns = [
      ...(input ? readPaperTurns(input).map((t) => t) : []),
      ...(output.endsWith('<|eot|>')
        ? readPaperTurns(output)
        : [{ speaker: names.shortName, kind: 'speaking' as const, text: output }]),
    ];
    const extra = isRecord(value.character_studio) ? value.character_studio : {};
    const kind = KINDS.find((k) => k === extra.kind);
    const fullName = meta?.fullName ?? null;
    const shortName =
      typeof extra.short_name === 'string' ? extra.short_name : fullName ? guessShortName(fullName, turns) : null;
    const protective = kind ? kind === 'protective' : meta?.location === 'A room';
    return {
      source: typeof extra.id === 'string' ? extra.id : null,
      fullName,
      shortName,
      type: protective ? 'protective' : 'imported',
      location: meta?.location ?? '',
      background: meta ? meta.status : instruction,
      protective,
      turns,
    };
  },
  axolotl: (path) => ({ path, ds_type: 'json', type: 'alpaca' }),
  llamaFactory: (fileName) => ({
    file_name: fileName,
    columns: { prompt: 'instruction', query: 'input', response: 'output' },
  }),
};
