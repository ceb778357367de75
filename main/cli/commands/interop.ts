import { randomUUID } from 'node:crypto';
import type {
  Character,
  DatasetExportReport,
  DatasetFormat,
  DatasetImportReport,
  Events,
  ImportFormat,
  SceneKind,
} from '../../../common/contract';
import { DATASET_FORMATS, IMPORT_FORMATS } from '../../core/interop/registry';
import { argument, findCharacter, localPath, numberOption, str, UsageError, type CliContext } from '../shared';
import { onInterrupt } from '../interrupt';
import { counted } from '../../../common/plural';

const KINDS: readonly SceneKind[] = ['normal', 'protective', 'hand', 'chat_correction'];

/**
 * Follows an export's or import's progress on stderr (at most one line a second) and cancels it on
 * Ctrl+C; the request fails then with "cancelled", leaving nothing half written.
 */
async function withProgress<T>(ctx: CliContext, what: string, run: (requestId: string) => Promise<T>): Promise<T> {
  const requestId = randomUUID();
  let shown = 0;
  const off = ctx.studio.events.subscribe((name, payload) => {
    if (name !== 'dataset/io-progress') return;
    const p = payload as Events['dataset/io-progress'];
    if (p.requestId !== requestId || Date.now() - shown < 1000) return;
    shown = Date.now();
    ctx.io.err(`${what}: ${p.done}${p.total === null ? '' : ` of ${p.total}`} scenes…`);
  });
  const offInterrupt = onInterrupt(() => {
    ctx.io.err('Cancelling…');
    return ctx.call('dataset/io-cancel', { requestId });
  });
  try {
    return await run(requestId);
  } finally {
    off();
    offInterrupt();
  }
}

/** `export <character…> --format … --out <folder>`: the Dataset tab's "Export dataset…". */
export async function exportCommand(ctx: CliContext): Promise<number> {
  const { call, rest, values, print } = ctx;
  const names = rest;
  if (names.length === 0) throw new UsageError('Missing <character> for export.');
  const format = str(values, 'format');
  if (!format || !(DATASET_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`export needs --format ${DATASET_FORMATS.join('|')}${format ? ` (not "${format}")` : ''}.`);
  }
  const out = str(values, 'out');
  if (!out) throw new UsageError('export needs --out <folder> (created when missing).');
  const kinds = str(values, 'kinds')
    ?.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const bad = kinds?.find((k) => !(KINDS as readonly string[]).includes(k));
  if (bad) throw new UsageError(`--kinds takes ${KINDS.join(',')} (not "${bad}").`);
  const trainShare = numberOption(str(values, 'split'), '--split', 1);
  if (trainShare <= 0 || trainShare > 1)
    throw new UsageError('--split is the train share, above 0 and at most 1 (e.g. 0.95).');
  const characters: Character[] = [];
  for (const name of names) characters.push(await findCharacter(call, name));
  const report = await withProgress(ctx, 'Exported', (requestId) =>
    call('dataset/export', {
      characterIds: characters.map((c) => c.id),
      format: format as DatasetFormat,
      out: localPath(out),
      trainShare,
      seed: numberOption(str(values, 'seed'), '--seed', 42),
      includeProblems: values['include-problems'] === true,
      requestId,
      ...(kinds && { kinds: kinds as SceneKind[] }),
      ...(str(values, 'licence') && { licence: str(values, 'licence')! }),
    }),
  );
  print(report, () => describeExport(report));
  return 0;
}

export function describeExport(r: DatasetExportReport): string {
  return [
    `Exported ${r.train + r.validation} scenes (${r.train} train${r.validation ? `, ${r.validation} validation` : ''}) as ${r.format} to ${r.out} in ${(r.durationMs / 1000).toFixed(1)} s.`,
    ...r.files.map((f) => `  ${f.path}${f.role === 'config' ? '' : `  (${f.items} ${f.role})`}`),
    ...r.notices,
  ].join('\n');
}

/** `import-dataset <character> <file|folder> [--format …]`: the Dataset tab's "Import dataset…". */
export async function importDatasetCommand(ctx: CliContext): Promise<number> {
  const { call, rest, values, print } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', 'import-dataset'));
  const file = argument(rest, 1, '<file>', 'import-dataset');
  const format = str(values, 'format') ?? 'auto';
  if (!(IMPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format takes ${IMPORT_FORMATS.join('|')} (not "${format}").`);
  }
  const report = await withProgress(ctx, 'Read', (requestId) =>
    call('dataset/import', {
      characterId: character.id,
      path: localPath(file),
      format: format as ImportFormat,
      requestId,
    }),
  );
  print(report, () => describeImport(report, character.fullName));
  return 0;
}

export function describeImport(r: DatasetImportReport, fullName: string): string {
  return [
    `Imported ${counted(r.scenes, 'scene')} into ${fullName} from ${r.file} (${r.format}): ${r.experiences} with ${r.experiences === 1 ? 'its' : 'their'} experience, ${r.protective} protective.`,
    ...r.notices,
  ].join('\n');
}
