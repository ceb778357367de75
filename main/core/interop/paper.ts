/**
 * The paper's SFT lines (METHOD.md §2 and §4): `{"prompt": <meta prompt>, "output": <turns>,
 * "source": <id>}`, serialised as Python's json.dumps does, byte for byte. The format knows only
 * normal and protective scenes (protective ones are set in `A room`).
 */
import type { TrainerTurn } from '../trainer/dataset-export';
import { PROTECTIVE_LOCATION } from '../trainer/dataset-export';
import { pythonJsonString, type LineFormat } from './line-format';
import { ItemError, metaPrompt, readMetaPrompt, readPaperTurns, renderPaperTurns } from './scene-record';

/** The character's label in the turns: the one who thinks, else a speaker whose name is part of the full name (dataset.py). */
export function guessShortName(fullName: string, turns: readonly TrainerTurn[]): string {
  const thinkers = new Set(turns.filter((t) => t.kind === 'thinking').map((t) => t.speaker));
  if (thinkers.size === 1) return [...thinkers][0]!;
  const parts = new Set(fullName.split(/\s+/));
  const named = turns.find((t) => t.speaker === fullName || t.speaker.split(/\s+/).every((w) => parts.has(w)));
  return named?.speaker ?? fullName.split(/\s+/).at(-1) ?? fullName;
}

export const paperFormat: LineFormat = {
  id: 'paper',
  describe: "the paper's SFT lines {prompt, output, source}",
  write(scene) {
    const prompt = metaPrompt(scene.fullName, scene.location, scene.background);
    const output = renderPaperTurns(scene.turns);
    return `{"prompt": ${pythonJsonString(prompt)}, "output": ${pythonJsonString(output)}, "source": ${pythonJsonString(scene.id)}}`;
  },
  looks: (value) => 'prompt' in value && 'output' in value,
  read(value) {
    const { prompt, output, source } = value;
    if (typeof prompt !== 'string') throw new ItemError('prompt must be a string');
    if (typeof output !== 'string') throw new ItemError('output must be a string');
    const meta = readMetaPrompt(prompt);
    if (!meta) throw new ItemError("prompt is not the paper's meta prompt (I want you to act like …)");
    const turns = readPaperTurns(output);
    return {
      source: typeof source === 'string' || typeof source === 'number' ? String(source) : null,
      fullName: meta.fullName,
      shortName: guessShortName(meta.fullName, turns),
      type: meta.location === PROTECTIVE_LOCATION ? 'protective' : 'imported',
      location: meta.location,
      background: meta.status,
      protective: meta.location === PROTECTIVE_LOCATION,
      turns,
    };
  },
  axolotl: (path) => ({
    path,
    ds_type: 'json',
    // The paper's loss: the prompt is masked, every turn of the output is trained.
    type: {
      field_instruction: 'prompt',
      field_output: 'output',
      format: '{instruction}',
      no_input_format: '{instruction}',
    },
  }),
  llamaFactory: (fileName) => ({ file_name: fileName, columns: { prompt: 'prompt', response: 'output' } }),
};
