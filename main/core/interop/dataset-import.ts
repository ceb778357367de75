/**
 * `dataset/import`: a dataset file (any format of registry.ts) into a character's scenes. All or
 * nothing: items are read and checked one by one, staged in temporary tables a batch at a time
 * (the event loop gets a turn after each batch, so the serve door keeps answering during a
 * million-line file), and copied into the store only when every item was good, in slices (see
 * `copy`). A bad item, a cancel or a crash leaves the store as it was (a crash mid-copy once the
 * studio opens again); while the copy runs, the scenes copied so far can be seen.
 *
 * Each scene keeps where it came from (file, line, the item's own id) on its first revision,
 * authored `import`. Speakers who are the file's character under another short name are labelled
 * with this character's short name, so the training export finds the character's turns.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type {
  Character,
  CharacterId,
  DatasetImportReport,
  DatasetImportRequest,
  SceneDoc,
  SceneId,
} from '../../../common/contract';
import type { DatasetImportRepo } from '../../store/dataset-import-repo';
import type { ImportStage, StagedScene } from '../../store/import-stage';
import type { StageWriter } from '../../store/import-writer';
import { sceneFigures } from '../../store/scene-figures';
import { turnFigures } from '../../store/turn-figures';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { guessShortName } from './paper';
import { openItems, type ImportInput, type ReadItem } from './read-items';
import { counted } from '../../../common/plural';

/** Items staged per transaction at most (fewer when reading them took half a slice); between batches the event loop runs other work. */
const BATCH = 500;

/**
 * Frames (4 KiB pages) the write-ahead log may hold before the copy waits for it to be checkpointed
 * whole and started again (`WriteLog.drain`): 32 MiB, under the 64 MiB
 * the log file is cut back to (store/wal-checkpointer.ts). A copy slice's commit writes ~200 frames.
 */
export const LOG_ROOM_FRAMES = 8_192;

/** The studio's write-ahead log, as the copy keeps it short (store/wal-checkpointer.ts, `WalCheckpointer`). */
export interface WriteLog {
  /** Frames in the log since it last started again from its beginning. */
  logFrames(): number;
  /** Resolves once every frame is in the database file and the log started again (true), or when that could not be had (false). */
  drain(): Promise<boolean>;
}

/** Says whether `ms` have not yet passed since it was made (a reading batch's budget). */
function timeLeft(ms: number): () => boolean {
  const deadline = performance.now() + ms;
  return () => performance.now() < deadline;
}

/** Import requests in flight, by request id: `cancel` aborts them. */
export class IoRequests {
  private readonly running = new Map<string, AbortController>();

  begin(requestId: string | undefined): AbortSignal {
    const controller = new AbortController();
    if (requestId) this.running.set(requestId, controller);
    return controller.signal;
  }

  end(requestId: string | undefined): void {
    if (requestId) this.running.delete(requestId);
  }

  cancel(requestId: string): { cancelled: boolean } {
    const controller = this.running.get(requestId);
    controller?.abort();
    return { cancelled: controller !== undefined };
  }
}

export function cancelledFailure(what: 'export' | 'import'): StudioFailure {
  return new StudioFailure(
    'conflict',
    what === 'import'
      ? 'The import was cancelled; nothing was imported.'
      : 'The export was cancelled; no file was written.',
  );
}

export class DatasetImportService {
  constructor(
    private readonly repo: DatasetImportRepo,
    private readonly character: (id: CharacterId) => Character,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    readonly requests: IoRequests,
    /** The most work one slice of the copy into the store runs before the event loop gets a turn, in ms. */
    private readonly sliceMs = 10,
    /** The log the copy keeps under `logRoomFrames` (none: SQLite's log is left as it grows). */
    private readonly log: WriteLog | null = null,
    private readonly logRoomFrames = LOG_ROOM_FRAMES,
  ) {}

  async import(request: DatasetImportRequest): Promise<DatasetImportReport> {
    const started = Date.now();
    const character = this.character(request.characterId);
    const input = inputOf(request);
    const fileLabel = 'path' in input ? input.path : input.name;
    const signal = this.requests.begin(request.requestId);
    const stage = this.repo.stage(character.id, this.clock.now());
    try {
      const { format, items } = await openItems(input, request.format ?? 'auto', character);
      const tally = { scenes: 0, protective: 0, experiences: 0, otherCharacter: new Set<string>(), relabelled: 0 };
      let batch: StagedScene[] = [];
      // Half the slice for reading items, half for staging them (about as long again).
      let more = timeLeft(this.sliceMs / 2);
      for await (const read of items) {
        batch.push(this.staged(read, character, tally, format === 'hf'));
        if (batch.length < BATCH && more()) continue;
        stage.add(batch);
        batch = [];
        await this.turn(request, tally.scenes, signal);
        more = timeLeft(this.sliceMs / 2);
      }
      stage.add(batch);
      await this.turn(request, tally.scenes, signal);
      const there = stage.alreadyThere(fileLabel);
      if (there.count > 0)
        throw new StudioFailure(
          'conflict',
          `${counted(there.count, 'scene')} of ${fileLabel} ${there.count === 1 ? 'is' : 'are'} in ${character.shortName}'s dataset already (${there.example}, for one: the file was imported before, or exported from this dataset). Nothing was imported, so no scene is there twice. Import it into another character, or delete those scenes first.`,
        );
      const importId = this.newId();
      await this.copy(stage, importId, fileLabel, format, request, signal);
      this.events.emit('dataset/changed', { characterId: character.id });
      return {
        importId,
        file: fileLabel,
        format,
        scenes: tally.scenes,
        protective: tally.protective,
        experiences: tally.experiences,
        notices: notices(character, tally),
        durationMs: Date.now() - started,
      };
    } finally {
      await stage.discard();
      this.requests.end(request.requestId);
    }
  }

  /**
   * Copies the staged scenes into the store a slice at a time (`sliceMs` of work, then a turn of
   * the event loop): at 100,000 scenes the copy is tens of seconds of SQLite's work (each
   * experience's full-text indexing), which in one transaction would hold every door that long.
   * A cancel or a failure meanwhile removes the scenes already copied, also in slices, so the store
   * is as it was; a stop of the studio is undone when it next opens (`undoInterrupted`).
   *
   * The slices, their undo and the search index's merges are written by the repo's writer (a thread
   * with a connection of its own: store/import-writer.ts); this thread keeps the order of the work,
   * progress, cancel and the import's row, and waits for each slice with the event loop free.
   */
  private async copy(
    stage: ImportStage,
    importId: string,
    fileLabel: string,
    format: string,
    request: DatasetImportRequest,
    signal: AbortSignal,
  ): Promise<void> {
    const total = stage.begin(importId, fileLabel, format);
    const writer = this.repo.writer(stage, importId);
    let copied = 0;
    try {
      // What one scene took to copy and commit in the last slice, in ms: the next slice takes as
      // many as fit in `sliceMs` (the first, one step, measures it).
      let msPerScene = Infinity;
      try {
        while (copied < total) {
          const from = copied;
          const slice = await writer.copySlice(copied, Math.floor(this.sliceMs / msPerScene), this.sliceMs);
          copied = slice.upTo;
          msPerScene = slice.ms / (copied - from);
          await this.turn(request, copied, signal, total);
          await this.keepLogShort();
          await this.merge(writer, signal);
        }
        stage.finish(importId);
      } catch (error) {
        // Down to 0, where the import's row goes too.
        for (;;) {
          copied = await writer.undoSlice(copied, this.sliceMs);
          if (copied === 0) break;
          await nextTurn();
          await this.keepLogShort();
          await this.merge(writer);
        }
        throw error instanceof StudioFailure
          ? error
          : new StudioFailure(
              'internal',
              `${error instanceof Error ? error.message : String(error)} Nothing was imported: what was copied was removed again.`,
            );
      }
    } finally {
      await writer.close();
    }
  }

  /**
   * Merges the search index's segments the last slice left (its commit only wrote them: see
   * store/search-merges.ts), a slice of `sliceMs` a turn, until no level has enough to merge.
   */
  private async merge(writer: StageWriter, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const more = await writer.mergeSlice(this.sliceMs);
      await nextTurn();
      await this.keepLogShort();
      if (signal?.aborted) throw cancelledFailure('import');
      if (!more) return;
    }
  }

  /**
   * Waits, the event loop free, for the log to be checkpointed whole once it holds more than
   * `logRoomFrames`, and started again at its beginning (by the checkpoint thread, so that the new
   * log's header is synced there, not in the next slice's commit). Left to grow, it
   * reached ~11 GB over an import of 100,000 scenes, every commit appending to a file the kernel
   * was still writing out: a slice's commit took 7–9 ms on average (3–4 ms with the log kept
   * short) and at times ~100 ms, and the import ~1.5× the CPU time.
   */
  private async keepLogShort(): Promise<void> {
    if (this.log && this.log.logFrames() > this.logRoomFrames) await this.log.drain();
  }

  private async turn(
    request: DatasetImportRequest,
    done: number,
    signal: AbortSignal,
    total: number | null = null,
  ): Promise<void> {
    await nextTurn();
    if (signal.aborted) throw cancelledFailure('import');
    if (request.requestId) {
      this.events.emit('dataset/io-progress', { requestId: request.requestId, direction: 'import', done, total });
    }
  }

  /** One read item as a staged scene, counted in `tally`. */
  private staged(
    read: ReadItem,
    character: Character,
    tally: { scenes: number; protective: number; experiences: number; otherCharacter: Set<string>; relabelled: number },
    folder: boolean,
  ): StagedScene {
    const { item } = read;
    const short = character.shortName.trim();
    if (item.fullName && item.fullName !== character.fullName) tally.otherCharacter.add(item.fullName);
    const fileShort =
      item.shortName ?? (item.fullName && item.turns ? guessShortName(item.fullName, item.turns) : null);
    const turns = item.turns?.map((t) => {
      if (fileShort && fileShort !== short && t.speaker === fileShort) {
        tally.relabelled++;
        return { ...t, speaker: short };
      }
      return t;
    });
    const people = [...new Set((turns ?? []).map((t) => t.speaker).filter((s) => s !== short))];
    const doc: SceneDoc = {
      type: item.type,
      location: item.location,
      time: '',
      background: item.background,
      people,
      experienceBackground: turns ? item.background : '',
      turns: turns ?? [],
    };
    tally.scenes++;
    if (item.protective) tally.protective++;
    if (turns) tally.experiences++;
    const problems = item.problems ?? [];
    const perTurn = turns && turnFigures(turns);
    return {
      id: this.newId() as SceneId,
      ordinal: tally.scenes,
      protective: item.protective,
      type: item.type,
      location: item.location,
      background: item.background,
      people,
      file: folder ? read.file : null,
      line: read.line,
      source: item.source,
      doc: JSON.stringify(doc),
      experience:
        turns && perTurn
          ? {
              background: item.background,
              turns: JSON.stringify(turns),
              problems: JSON.stringify(problems),
              figures: sceneFigures(item.background, turns, problems, character, perTurn),
              turnFigures: perTurn,
            }
          : null,
    };
  }
}

function inputOf(request: DatasetImportRequest): ImportInput {
  if (request.path !== undefined && request.fileBase64 === undefined) return { path: request.path };
  if (request.fileBase64 !== undefined && request.path === undefined) {
    return { bytes: Buffer.from(request.fileBase64, 'base64'), name: request.fileName ?? 'uploaded file' };
  }
  throw new StudioFailure(
    'invalid_argument',
    'Give either a path or an uploaded file (fileBase64) to import, not both.',
  );
}

function notices(character: Character, tally: { otherCharacter: Set<string>; relabelled: number }): string[] {
  const out: string[] = [];
  if (tally.otherCharacter.size > 0) {
    const names = [...tally.otherCharacter].slice(0, 3).join(', ');
    out.push(`The file is about ${names}; its scenes were added to ${character.fullName} as they are.`);
  }
  if (tally.relabelled > 0) {
    out.push(
      `${counted(tally.relabelled, 'turn')} of the file's character ${tally.relabelled === 1 ? 'was' : 'were'} labelled ${character.shortName}, so training finds ${tally.relabelled === 1 ? 'it' : 'them'}.`,
    );
  }
  return out;
}
