/**
 * `dataset/export`: the characters' accepted and unreviewed scenes (what training uses:
 * `DatasetRepo.trainableScenePages` and `sceneToTrainerLine`) into a folder, in one of the
 * formats of registry.ts, with configs for axolotl and LLaMA-Factory beside the data.
 *
 * Rules, counted in the report: scenes whose experience has format problems are left out unless
 * `includeProblems`; scenes that cannot be training examples are left out with their reason; other
 * speakers' thinking turns are left out (the training export's rule). The split is by a hash of the
 * seed and the scene id, so it is the same for the same seed whatever the order or the other scenes.
 *
 * Streamed: scenes are read a page at a time (`TRAINABLE_PAGE_SCENES`, a few ms of work) and each
 * page is written before the next is read, the event loop getting a turn between pages; nothing
 * else reads every row on this thread (the progress total is summed on the reader thread);
 * the folder is built beside its target and moved into place only when complete, so a failure or
 * a cancel leaves no half export (an earlier export's files are replaced only on success).
 */
import { createHash } from 'node:crypto';
import {
  appendFile,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type {
  Character,
  CharacterId,
  DatasetExportReport,
  DatasetExportRequest,
  Scene,
  SceneKind,
} from '../../../common/contract';
import type { DatasetRepo } from '../../store/dataset-repo';
import type { DatasetSums } from '../../store/dataset-sums';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { exportNotices, sceneToTrainerLine, type DatasetExportNotes } from '../trainer/dataset-export';
import { cancelledFailure, type IoRequests } from './dataset-import';
import { lineFormatOf } from './registry';
import type { InteropScene } from './scene-record';
import { axolotlConfig, datasetCard, llamaFactoryInfo, type SplitFile } from './tool-configs';
import { counted } from '../../../common/plural';

/** The file every export leaves in its folder: the report, and the mark that the folder may be replaced. */
export const EXPORT_MARK = 'character-studio-export.json';
const ALL_KINDS: readonly SceneKind[] = ['normal', 'protective', 'hand', 'chat_correction'];

/** A scene's kind: protective, written by hand, a chat correction, else normal (generated or imported). */
export function sceneKind(scene: Pick<Scene, 'protective' | 'origin'>): SceneKind {
  if (scene.protective) return 'protective';
  if (scene.origin === 'hand') return 'hand';
  if (scene.origin === 'chat') return 'chat_correction';
  return 'normal';
}

/**
 * A scene's place in the split order, in [0, 1): a hash of seed and id, so that a scene keeps its
 * split when the dataset grows and the same seed gives the same files. Below the train share is train.
 */
export function splitScore(sceneId: string, seed: number): number {
  const digest = createHash('sha1').update(`${seed}:${sceneId}`).digest();
  return digest.readUInt32BE(0) / 0x1_0000_0000;
}

/** Whether the scene goes to the train split: its split score below the train share. */
export function inTrain(sceneId: string, seed: number, trainShare: number): boolean {
  return trainShare >= 1 || splitScore(sceneId, seed) < trainShare;
}

type Split = SplitFile['split'];

/** Where a line sits in its split's file, and its score: bytes from the start of the file. */
interface PlacedLine {
  score: number;
  offset: number;
  length: number;
}

/**
 * Keeps the line of each split nearest the other split: train's highest score, validation's lowest.
 * A hash puts each scene on its own, so a small dataset can leave a split empty (12 scenes at 75%
 * do 3% of the time); then that line moves over, so both splits always have an example.
 */
function offerEdge(edges: Record<Split, PlacedLine | null>, split: Split, line: PlacedLine): void {
  const held = edges[split];
  if (!held || (split === 'train' ? line.score > held.score : line.score < held.score)) edges[split] = line;
}

/** Moves one line (placed in `from`) to the end of `to`: both files are small when this is needed. */
async function moveLine(from: string, to: string, line: PlacedLine): Promise<number> {
  const text = await readFile(from);
  const moved = text.subarray(line.offset, line.offset + line.length);
  await writeFile(from, Buffer.concat([text.subarray(0, line.offset), text.subarray(line.offset + line.length)]));
  await appendFile(to, moved);
  return moved.length;
}

export class DatasetExportService {
  constructor(
    private readonly dataset: DatasetRepo,
    private readonly character: (id: CharacterId) => Character,
    private readonly events: EventBus,
    private readonly requests: IoRequests,
    /** The progress total's source: a sum over every scene (~45 ms of SQLite at 100,000), read on the reader thread. */
    private readonly sums: Pick<DatasetSums, 'training'>,
  ) {}

  async export(request: DatasetExportRequest): Promise<DatasetExportReport> {
    const started = Date.now();
    const characters = [...new Set(request.characterIds)].map((id) => this.character(id));
    const out = request.out;
    await checkTarget(out);
    const building = `${out}.partial-${process.pid}-${Date.now()}`;
    const signal = this.requests.begin(request.requestId);
    try {
      const report = await this.write(request, characters, building, signal, started);
      await writeFile(join(building, EXPORT_MARK), `${JSON.stringify(report, null, 2)}\n`);
      await putInPlace(building, out, [...report.files.map((f) => relative(out, f.path)), EXPORT_MARK]);
      return report;
    } catch (error) {
      await rm(building, { recursive: true, force: true });
      throw error;
    } finally {
      this.requests.end(request.requestId);
    }
  }

  private async write(
    request: DatasetExportRequest,
    characters: Character[],
    folder: string,
    signal: AbortSignal,
    started: number,
  ): Promise<DatasetExportReport> {
    const format = lineFormatOf(request.format);
    const kinds = new Set(request.kinds ?? ALL_KINDS);
    const trainShare = request.trainShare ?? 1;
    const seed = request.seed ?? 42;
    const dataDir = request.format === 'hf' ? join(folder, 'data') : folder;
    await mkdir(dataDir, { recursive: true });
    const splits: SplitFile[] = [
      { split: 'train', relative: request.format === 'hf' ? 'data/train.jsonl' : 'train.jsonl' },
    ];
    if (trainShare < 1)
      splits.push({ split: 'validation', relative: splits[0]!.relative.replace('train', 'validation') });
    const handles = new Map<string, FileHandle>();
    for (const s of splits) handles.set(s.split, await open(join(folder, s.relative), 'w'));
    const report: DatasetExportReport = {
      format: request.format,
      out: request.out,
      files: [],
      train: 0,
      validation: 0,
      byKind: { normal: 0, protective: 0, hand: 0, chat_correction: 0 },
      read: 0,
      skippedForProblems: 0,
      skippedUnusable: 0,
      skippedExamples: [],
      otherThinkingLeftOut: 0,
      notices: [],
      durationMs: 0,
    };
    const notes: DatasetExportNotes = { otherThinkingLeftOut: 0, scenesWithOtherThinking: 0 };
    const perCharacter: { fullName: string; scenes: number }[] = [];
    const bytes = { train: 0, validation: 0 };
    const edges: Record<Split, PlacedLine | null> = { train: null, validation: null };
    let splitNotice: string | null = null;
    const total = (await Promise.all(characters.map((c) => this.sums.training(c.id)))).reduce(
      (n, figures) => n + figures.examples,
      0,
    );
    try {
      for (const character of characters) {
        const before = report.train + report.validation;
        for (const page of this.dataset.trainableScenePages(character.id)) {
          const text = { train: '', validation: '' };
          const pageBytes = { train: 0, validation: 0 };
          for (const scene of page) {
            const kind = sceneKind(scene);
            if (!kinds.has(kind)) continue;
            report.read++;
            if (!request.includeProblems && (scene.experience?.problems.length ?? 0) > 0) {
              report.skippedForProblems++;
              continue;
            }
            const line = sceneToTrainerLine(scene, character, notes);
            if ('reason' in line) {
              report.skippedUnusable++;
              if (report.skippedExamples.length < 10) report.skippedExamples.push(line);
              continue;
            }
            const record: InteropScene = {
              id: line.id,
              kind,
              fullName: line.character.full_name,
              shortName: line.character.short_name,
              location: line.location,
              background: line.background,
              protective: line.protective,
              turns: line.turns,
            };
            const score = trainShare >= 1 ? 0 : splitScore(scene.id, seed);
            const split = score < trainShare ? 'train' : 'validation';
            const written = `${format.write(record)}\n`;
            if (trainShare < 1) {
              const length = Buffer.byteLength(written);
              offerEdge(edges, split, { score, offset: bytes[split] + pageBytes[split], length });
              pageBytes[split] += length;
            }
            text[split] += written;
            report[split]++;
            report.byKind[kind]++;
          }
          for (const split of ['train', 'validation'] as const) {
            if (!text[split]) continue;
            const chunk = Buffer.from(text[split], 'utf8');
            bytes[split] += chunk.length;
            await handles.get(split)!.write(chunk);
          }
          await nextTurn();
          if (signal.aborted) throw cancelledFailure('export');
          if (request.requestId) {
            this.events.emit('dataset/io-progress', {
              requestId: request.requestId,
              direction: 'export',
              done: report.read,
              total,
            });
          }
        }
        perCharacter.push({ fullName: character.fullName, scenes: report.train + report.validation - before });
      }
    } finally {
      for (const handle of handles.values()) await handle.close();
    }
    if (report.train + report.validation === 0) {
      throw new StudioFailure(
        'invalid_argument',
        `No scene could be exported: ${report.read} of the chosen kinds were read, ${report.skippedForProblems} have format problems` +
          ` (include them with the "include problems" choice) and ${report.skippedUnusable} cannot be training examples` +
          `${report.skippedExamples[0] ? ` (${report.skippedExamples[0].reason})` : ''}. Generate or accept some scenes first.`,
      );
    }
    const emptySplit = report.validation === 0 ? 'validation' : report.train === 0 ? 'train' : null;
    if (trainShare < 1 && emptySplit && report.train + report.validation >= 2) {
      const from = emptySplit === 'train' ? 'validation' : 'train';
      const file = (split: Split) => join(folder, splits.find((s) => s.split === split)!.relative);
      const moved = await moveLine(file(from), file(emptySplit), edges[from]!);
      bytes[from] -= moved;
      bytes[emptySplit] += moved;
      report[from]--;
      report[emptySplit]++;
      splitNotice = `No scene's hash fell in the ${emptySplit} split, so the scene nearest it was moved there: both splits have an example.`;
    }
    report.otherThinkingLeftOut = notes.otherThinkingLeftOut;
    const name = characters.map((c) => c.shortName.toLowerCase().replace(/[^a-z0-9]+/g, '_')).join('_') || 'character';
    const configs = [
      ['axolotl.yaml', axolotlConfig(request.format, splits)],
      ['dataset_info.json', llamaFactoryInfo(name, request.format, splits)],
    ];
    if (request.format === 'hf') {
      const card = datasetCard(
        { characters: perCharacter, report, licence: request.licence ?? 'other', bytes, createdAt: new Date(started) },
        splits,
      );
      configs.push(['README.md', card]);
    }
    for (const [file, text] of configs) await writeFile(join(folder, file!), text!);
    report.files = [
      ...splits.map((s) => ({ path: join(request.out, s.relative), role: s.split, items: report[s.split] })),
      ...configs.map(([file]) => ({ path: join(request.out, file!), role: 'config' as const, items: 0 })),
    ];
    report.notices = [
      ...(report.skippedForProblems > 0
        ? [
            `${counted(report.skippedForProblems, 'scene')} with format problems ${report.skippedForProblems === 1 ? 'was' : 'were'} left out; choose "include problems" to export them.`,
          ]
        : []),
      ...(report.skippedUnusable > 0
        ? [`${report.skippedUnusable} scenes cannot be training examples and were left out.`]
        : []),
      ...exportNotices(notes).map((n) =>
        n.replace('will be left out of the training data', 'were left out of the export'),
      ),
      ...(splitNotice ? [splitNotice] : []),
    ];
    report.durationMs = Date.now() - started;
    return report;
  }
}

/**
 * Puts a finished export in place: the whole folder when the target is new; else file by file
 * (each rename atomic), removing the earlier export's data files this one does not write. Anything
 * else in the folder (a training run's outputs, say) stays.
 */
async function putInPlace(building: string, out: string, files: readonly string[]): Promise<void> {
  if (!(await stat(out).catch(() => null))) {
    await rename(building, out);
    return;
  }
  const previous = await readFile(join(out, EXPORT_MARK), 'utf8')
    .then((text) => (JSON.parse(text) as DatasetExportReport).files.map((f) => relative(out, f.path)))
    .catch(() => [] as string[]);
  for (const file of previous) if (!files.includes(file)) await rm(join(out, file), { force: true });
  for (const file of files) {
    await mkdir(dirname(join(out, file)), { recursive: true });
    await rename(join(building, file), join(out, file));
  }
  await rm(building, { recursive: true, force: true });
}

/** The target must be new, empty, or an earlier export (which is replaced): never someone's other folder. */
async function checkTarget(out: string): Promise<void> {
  const info = await stat(out).catch(() => null);
  if (!info) return;
  if (!info.isDirectory()) {
    throw new StudioFailure(
      'invalid_argument',
      `${out} is a file; an export is written into a folder. Choose a new folder name.`,
    );
  }
  const entries = await readdir(out);
  if (entries.length > 0 && !entries.includes(EXPORT_MARK)) {
    throw new StudioFailure(
      'conflict',
      `${out} already holds other files (${entries.slice(0, 3).join(', ')}); an export replaces only an earlier export. Choose an empty or new folder.`,
    );
  }
}
