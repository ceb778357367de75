import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TrainingRun } from '../../../common/contract';
import { StudioFailure } from '../errors';
import { DEFAULT_CHAT_SAMPLING } from '../runtimes/chat-runtime';
import { chatGgufPlan, readRunManifest } from '../runtimes/chat-gguf';
import { DEFAULT_USER_NAME, EOT, HISTORY_TURNS, metaPrompt } from '../runtimes/paper-prompt';

/**
 * The `extensions.character_studio` block of a trained character card: everything a chat app needs
 * to load the run and prompt it as it was trained. Namespaced as the V3 spec asks of extensions.
 *
 * `files` lists the run's artifacts that exist (the PEFT adapter folder, its GGUF, a merged model,
 * the GGUF base the adapter pairs with) with each file's sha256, so an app can check what it loads.
 * Paths are absolute on the computer that exported the card; `file` is the name to look for elsewhere.
 */

export const TRAINED_EXTENSION_VERSION = 1;

export interface TrainedFile {
  /** The run's output kind: `adapter`, `adapter_gguf`, `gguf`, `merged`, `base_gguf`. */
  kind: string;
  path: string;
  file: string;
  bytes: number;
  sha256: string;
}

/** Output kinds a card names; checkpoints and the manifest are the studio's own. */
const CARD_KINDS = ['adapter', 'adapter_gguf', 'gguf', 'merged'] as const;
/** The paper's interview setting (METHOD.md §3), the meta prompt a chat app starts from. */
const LOCATION = 'Coffee Shop - Afternoon';

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const part of fs.createReadStream(file)) hash.update(part as Buffer);
  return hash.digest('hex');
}

/** The files of an output: itself, or the files at the top of its folder (a PEFT adapter, a merged model). */
async function filesOf(kind: string, where: string): Promise<TrainedFile[]> {
  const stat = await fs.promises.stat(where).catch(() => null);
  if (!stat) return [];
  const paths = stat.isDirectory()
    ? (await fs.promises.readdir(where, { withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => path.join(where, entry.name))
        .sort()
    : [where];
  const files: TrainedFile[] = [];
  for (const file of paths) {
    const { size } = await fs.promises.stat(file);
    files.push({
      kind,
      path: file,
      file: path.relative(path.dirname(where), file),
      bytes: size,
      sha256: await sha256(file),
    });
  }
  return files;
}

/**
 * The trained-card extension of a finished run. Throws `invalid_argument` for a run that has not
 * finished and `not_found` for one whose manifest is gone.
 */
export async function trainedExtension(
  run: TrainingRun,
  dataDir: string,
  character: { fullName: string; shortName: string },
): Promise<Record<string, unknown>> {
  if (run.status !== 'succeeded') {
    throw new StudioFailure(
      'invalid_argument',
      `Run ${run.id} has not finished training (${run.status}), so there is no model for a trained card. Choose a finished run.`,
    );
  }
  const manifest = readRunManifest(run.runDir);
  const lora = !run.config.hyperparameters.fullFinetune;
  const files: TrainedFile[] = [];
  for (const kind of CARD_KINDS) {
    const where = run.outputs[kind];
    if (where) files.push(...(await filesOf(kind, where)));
  }
  const plan = chatGgufPlan(dataDir, run.runDir, lora, manifest);
  if (lora && fs.existsSync(plan.baseGguf)) files.push(...(await filesOf('base_gguf', plan.baseGguf)));
  const paper = run.config.format === 'character-llm';
  const base = manifest.base_model ?? null;
  return {
    version: TRAINED_EXTENSION_VERSION,
    run_id: run.id,
    trained_at: run.finishedAt ? new Date(run.finishedAt).toISOString() : null,
    base_model: {
      id: typeof base?.id === 'string' ? base.id : run.config.baseModel,
      revision: typeof base?.revision === 'string' ? base.revision : null,
    },
    method: lora ? 'lora' : 'full',
    lora_rank: lora ? run.config.hyperparameters.loraRank : null,
    training_format: run.config.format,
    prompt: paper
      ? {
          // METHOD.md §2: raw completion, no chat template.
          style: 'raw-completion',
          meta_prompt: metaPrompt(
            character.fullName,
            LOCATION,
            `${character.shortName} is casually chatting with a man from the 21st century whom ${character.shortName} fully trusts.`,
          ),
          turn_format: '{speaker} ({action}): {text}' + EOT,
          user_name: DEFAULT_USER_NAME,
          character_name: character.shortName,
          prime: `${character.shortName} (`,
          stop: [EOT],
          history_turns: HISTORY_TURNS,
        }
      : { style: 'chat-template', note: "The base model's own chat template, with the card's system prompt." },
    sampling: {
      temperature: DEFAULT_CHAT_SAMPLING.temperature,
      top_p: DEFAULT_CHAT_SAMPLING.topP,
      max_tokens: DEFAULT_CHAT_SAMPLING.maxTokens,
    },
    examples: run.examples,
    files,
  };
}
