/**
 * What sits beside an export so other tools can train on it at once: an axolotl config
 * (`axolotl.yaml`, the `datasets:` section and the settings that matter for it), a LLaMA-Factory
 * `dataset_info.json` entry, and for the Hugging Face folder a dataset card (README.md with the
 * YAML header the Hub reads: licence, splits, sizes, sources).
 */
import type { DatasetExportReport, DatasetFormat, SceneKind } from '../../../common/contract';
import { lineFormatOf } from './registry';

/** YAML for plain data: maps, lists, strings (JSON-quoted, which YAML reads), numbers and booleans. */
export function toYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value.map((v) => `\n${indent}- ${toYaml(v, `${indent}  `).replace(/^\n\s*/, '')}`).join('');
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return entries
      .map(([k, v]) => {
        const inner = toYaml(v, `${indent}  `);
        return `\n${indent}${k}:${inner.startsWith('\n') ? '' : ' '}${inner}`;
      })
      .join('');
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export interface SplitFile {
  split: 'train' | 'validation';
  /** Relative to the export folder. */
  relative: string;
}

export function axolotlConfig(format: DatasetFormat, files: readonly SplitFile[]): string {
  const line = lineFormatOf(format);
  const train = files.filter((f) => f.split === 'train').map((f) => line.axolotl(f.relative));
  const validation = files.filter((f) => f.split === 'validation').map((f) => line.axolotl(f.relative));
  const config: Record<string, unknown> = {
    base_model: 'Qwen/Qwen2.5-1.5B-Instruct',
    ...(format === 'paper' ? {} : { chat_template: 'tokenizer_default' }),
    datasets: train,
    ...(validation.length > 0 ? { test_datasets: validation } : { val_set_size: 0 }),
    dataset_prepared_path: 'last_run_prepared',
    // The paper trains on the turns only, never the prompt.
    train_on_inputs: false,
    sequence_len: 2048,
    sample_packing: false,
    adapter: 'lora',
    lora_r: 16,
    lora_alpha: 32,
    lora_dropout: 0.05,
    lora_target_linear: true,
    num_epochs: 3,
    learning_rate: 0.0002,
    lr_scheduler: 'cosine',
    warmup_ratio: 0.04,
    micro_batch_size: 2,
    gradient_accumulation_steps: 8,
    bf16: 'auto',
    output_dir: './outputs/character-studio',
  };
  return [
    '# axolotl config written by Character Studio for this export. Run from this folder:',
    '#   axolotl train axolotl.yaml',
    '# base_model is a small default: put the model you fine-tune there.',
    `# Format: ${line.describe}. Paths are relative to this folder.`,
    toYaml(config).trimStart(),
    '',
  ].join('\n');
}

/** dataset_info.json for LLaMA-Factory (`dataset_dir` = this folder): one entry per split. */
export function llamaFactoryInfo(name: string, format: DatasetFormat, files: readonly SplitFile[]): string {
  const line = lineFormatOf(format);
  const info: Record<string, unknown> = {};
  for (const f of files) info[f.split === 'train' ? name : `${name}_${f.split}`] = line.llamaFactory(f.relative);
  return `${JSON.stringify(info, null, 2)}\n`;
}

export interface CardFacts {
  characters: { fullName: string; scenes: number }[];
  report: Pick<
    DatasetExportReport,
    'train' | 'validation' | 'byKind' | 'skippedForProblems' | 'skippedUnusable' | 'otherThinkingLeftOut'
  >;
  licence: string;
  bytes: Record<'train' | 'validation', number>;
  createdAt: Date;
}

const KIND_WORDS: Record<SceneKind, string> = {
  normal: 'generated experiences',
  protective: 'protective experiences',
  hand: 'scenes written by hand',
  chat_correction: 'chat corrections',
};

/** README.md of a Hugging Face dataset folder. */
export function datasetCard(facts: CardFacts, files: readonly SplitFile[]): string {
  const { report } = facts;
  const total = report.train + report.validation;
  const header = {
    license: facts.licence,
    language: ['en'],
    task_categories: ['text-generation'],
    tags: ['role-play', 'character-llm', 'character-studio'],
    size_categories: [
      total < 1000 ? 'n<1K' : total < 10_000 ? '1K<n<10K' : total < 100_000 ? '10K<n<100K' : '100K<n<1M',
    ],
    configs: [{ config_name: 'default', data_files: files.map((f) => ({ split: f.split, path: f.relative })) }],
    dataset_info: {
      features: [
        {
          name: 'messages',
          list: [
            { name: 'role', dtype: 'string' },
            { name: 'content', dtype: 'string' },
          ],
        },
      ],
      splits: files.map((f) => ({ name: f.split, num_examples: report[f.split], num_bytes: facts.bytes[f.split] })),
    },
  };
  const kinds = (Object.entries(report.byKind) as [SceneKind, number][])
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `| ${KIND_WORDS[k]} | ${n} |`);
  return [
    `---${toYaml(header)}`,
    '---',
    '',
    `# Role-play experiences of ${facts.characters.map((c) => c.fullName).join(', ')}`,
    '',
    'Scenes written for training a role-play model in the manner of *Character-LLM: A Trainable Agent for',
    'Role-Playing* (Shao et al., EMNLP 2023), exported by Character Studio on ' +
      facts.createdAt.toISOString().slice(0, 10) +
      '.',
    "Each row is one scene as chat `messages`: the system message is the paper's meta prompt (the character,",
    "the location and the situation); the character's turns are the assistant's, other speakers are the user",
    'with their name before a colon; thoughts and actions are marked `(thinking)` and `(action)`.',
    "The `character_studio` column keeps each scene's id, kind and turn boundaries.",
    '',
    '## Statistics',
    '',
    '| split | scenes |',
    '|---|---|',
    ...files.map((f) => `| ${f.split} | ${report[f.split]} |`),
    '',
    '| kind | scenes |',
    '|---|---|',
    ...kinds,
    '',
    ...facts.characters.map((c) => `- ${c.fullName}: ${c.scenes} scenes`),
    '',
    '## Sources',
    '',
    "Scenes and experiences were generated by a language model from each character's profile, reviewed in",
    'Character Studio (rejected scenes are not included), or written by hand. Left out of this export:',
    `${report.skippedForProblems} scenes with format problems, ${report.skippedUnusable} that cannot be training`,
    `examples (no experience yet, cut off at the token limit), and ${report.otherThinkingLeftOut} thinking turns of`,
    'other speakers (only the character may think).',
    '',
    '## Licence',
    '',
    facts.licence === 'other'
      ? "Not chosen at export time: set `license` above before publishing. Text generated from a profile may carry the profile's licence (Wikipedia: CC BY-SA 4.0)."
      : `${facts.licence}. Text generated from a profile may also carry the profile's licence (Wikipedia: CC BY-SA 4.0).`,
    '',
  ].join('\n');
}
