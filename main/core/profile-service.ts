import type {
  CharacterId,
  Chunk,
  ChunkId,
  Profile,
  ProfileId,
  ProfileImport,
  ProfileProvenance,
} from '../../common/contract';
import type { Db } from '../store/database';
import type { NewChunk, ProfilesRepo } from '../store/profiles-repo';
import type { CharacterService } from './character-service';
import type { Clock, IdFactory } from './clock';
import { StudioFailure } from './errors';
import type { EventBus } from './events';
import { cardProfile } from './character-card';
import { readCardFile } from './cards/read';
import { cardProvenance } from './cards/provenance';
import { readProfileSteps, type ReadProfile as ReadResult } from './profile-chunks';
import { MANUSCRIPT_LIMITS } from './manuscripts/limits';
import { InProcessManuscriptReader, type ManuscriptReader } from './manuscripts/manuscript-reader';
import { checkManuscriptSize, isManuscript } from './manuscripts/read-manuscript';
import {
  base64Steps,
  checkSize,
  checkStorableText,
  codePointBoundary,
  countWords,
  decodeProfileSteps,
  MAX_CHUNK_CHARS,
  normalizeText,
  sliceCodePoints,
  type TextPieces,
} from './profile-text';
import { runSliced, WorkMeter, type Steps } from './time-slices';

/** Longest profile title, as the commands' schemas allow. */
const MAX_TITLE_CHARS = 200;
/** Text (UTF-16 code units) of the chunks one staging transaction writes: a few milliseconds of SQLite's work. */
const STAGE_CHARS = 256 * 1024;
/** Age after which staged chunks without their profile are a crashed import's leftovers. */
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/** A title or file name on one line, with runs of whitespace made one space. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Text already read from its source (a card, an article), ready to be chunked and stored. */
export interface PreparedProfile {
  raw: string;
  /** Read as Markdown whatever the file name says (headings `#`, `##` cut chunks). */
  markdown: boolean;
  provenance: ProfileProvenance | null;
}

/** Profiles (imported documents about a character) and their chunks, the pipeline's input. */
export class ProfileService {
  constructor(
    private readonly db: Db,
    private readonly repo: ProfilesRepo,
    private readonly characters: CharacterService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    /** Reads .docx, .epub and .pdf files; the studio passes one that works on a thread of its own. */
    private readonly manuscripts: ManuscriptReader = new InProcessManuscriptReader(),
  ) {}

  list(characterId: CharacterId): Profile[] {
    this.characters.get(characterId);
    return this.repo.listForCharacter(characterId);
  }

  get(id: ProfileId): Profile {
    const profile = this.repo.get(id);
    if (!profile) throw new StudioFailure('not_found', 'That profile no longer exists. It may have been deleted.');
    return profile;
  }

  /**
   * Imports pasted text or a file as a new profile. Every step is cut into time slices (see
   * time-slices.ts), so the door that called keeps answering other requests during a big import:
   * the file is decoded and read a piece at a time, its chunks are written in short transactions
   * before the profile row (`ProfilesRepo.stageChunks`), and the row, written last in one small
   * transaction, makes the profile appear whole; on any failure nothing of it remains.
   */
  async import(request: ProfileImport): Promise<Profile> {
    const character = this.characters.get(request.characterId);
    const hasText = request.text !== undefined;
    const hasFile = request.fileBase64 !== undefined;
    if (hasText === hasFile) {
      throw new StudioFailure(
        'invalid_argument',
        'Give either pasted text or a file to import, not both and not neither.',
      );
    }
    const fileName = oneLine(request.fileName ?? '') || null;
    if (fileName) checkStorableText(fileName, 'The file name', 'Rename the file and import it again.');
    const wantedTitle = oneLine(request.title ?? '');
    checkStorableText(wantedTitle, 'The title', 'Type the title again without it.');
    if (hasFile && fileName && !/\.(txt|md|markdown|text|json|png|charx)$/i.test(fileName) && !isManuscript(fileName)) {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} is not a file the studio reads: import a .txt, .md, .docx, .epub or .pdf manuscript, or a character card (.json, .png, .charx).`,
      );
    }
    let prepared: PreparedProfile | null = null;
    if (request.fileBase64 !== undefined && fileName && /\.(json|png|charx)$/i.test(fileName)) {
      // A character card: read whole (it may be a zip) before anything is written.
      const base64 = request.fileBase64;
      checkSize(Math.floor((base64.length * 3) / 4), fileName);
      const bytes = await runSliced(base64Steps(base64, fileName));
      const { card } = await readCardFile(bytes, fileName);
      const markdown = cardProfile(card.data, fileName, bytes.length).markdown;
      prepared = { raw: markdown, markdown: true, provenance: cardProvenance(card, this.clock.now()) };
    } else if (request.fileBase64 !== undefined && isManuscript(fileName)) {
      // A manuscript is read to text first, off this thread (manuscripts/manuscript-reader.ts);
      // its text is then chunked and stored like any other, all or nothing.
      prepared = { raw: await this.readManuscript(request.fileBase64, fileName!), markdown: true, provenance: null };
    }
    return this.write(character.id, fileName, wantedTitle, this.importSteps(request, fileName, prepared));
  }

  /**
   * Stores text read from elsewhere (a Wikipedia article, a card) as a new profile of the character,
   * with its provenance; `sourceName` is shown as where it came from.
   */
  async importPrepared(
    characterId: CharacterId,
    prepared: PreparedProfile,
    sourceName: string | null,
    title: string,
  ): Promise<Profile> {
    const character = this.characters.get(characterId);
    const wantedTitle = oneLine(title);
    checkStorableText(wantedTitle, 'The title', 'Type the title again without it.');
    return this.write(character.id, sourceName, wantedTitle, this.importSteps({}, sourceName, prepared));
  }

  private async write(
    characterId: CharacterId,
    fileName: string | null,
    wantedTitle: string,
    reading: Steps<{ read: ReadResult; provenance: ProfileProvenance | null }>,
  ): Promise<Profile> {
    const id = this.newId() as ProfileId;
    // Chunks a crashed import left behind; an hour is far longer than any import takes.
    this.repo.deleteAbandoned(this.clock.now() - ABANDONED_AFTER_MS);
    try {
      return await runSliced(this.storeSteps(id, characterId, fileName, wantedTitle, reading));
    } catch (error) {
      this.repo.dropStaged(id);
      throw error;
    }
  }

  private *importSteps(
    request: Pick<ProfileImport, 'text' | 'fileBase64'>,
    fileName: string | null,
    prepared: PreparedProfile | null,
  ): Steps<{ read: ReadResult; provenance: ProfileProvenance | null }> {
    let raw: string | TextPieces;
    if (prepared) {
      raw = prepared.raw;
    } else if (request.fileBase64 !== undefined) {
      const name = fileName ?? 'The file';
      const base64 = request.fileBase64;
      checkSize(Math.floor((base64.length * 3) / 4), name);
      const bytes = yield* base64Steps(base64, name);
      raw = yield* decodeProfileSteps(bytes, name);
    } else {
      raw = request.text ?? '';
    }
    const read = yield* readProfileSteps(raw, fileName, { markdown: prepared?.markdown ?? false });
    return { read, provenance: prepared?.provenance ?? null };
  }

  private *storeSteps(
    id: ProfileId,
    characterId: CharacterId,
    fileName: string | null,
    wantedTitle: string,
    reading: Steps<{ read: ReadResult; provenance: ProfileProvenance | null }>,
  ): Steps<Profile> {
    const { read, provenance } = yield* reading;
    const now = this.clock.now();
    const chunks: Chunk[] = [];
    const meter = new WorkMeter(STAGE_CHARS);
    let batch: NewChunk[] = [];
    for (let index = 0; index < read.chunks.length; index++) {
      const text = read.chunks[index]!;
      const chunk = { id: this.newId() as ChunkId, text, words: read.words[index]! };
      batch.push(chunk);
      chunks.push({ ...chunk, profileId: id, position: index, heading: headingOf(text) });
      if (meter.add(text.length) || index === read.chunks.length - 1) {
        this.repo.stageChunks(id, batch, index + 1 - batch.length, now);
        batch = [];
        yield;
      }
    }
    const title = this.db.transaction(() => {
      // Read again after the wait: the character may have been renamed or deleted meanwhile, and
      // the title must be unique among the profiles that exist when this one is written.
      const owner = this.characters.get(characterId);
      const title = this.uniqueTitle(
        owner.id,
        oneLine(wantedTitle || read.title || fileName?.replace(/\.[^.]+$/, '') || `${owner.shortName} notes`),
      );
      if (this.repo.stagedCount(id) !== chunks.length) {
        throw new StudioFailure(
          'conflict',
          'The profile could not be written whole: its chunks were removed while it was being saved. Nothing was saved; import it again.',
        );
      }
      this.repo.insert(
        { id, characterId: owner.id, title, sourceName: fileName, format: read.format, provenance },
        [],
        now,
      );
      return title;
    })();
    this.changed(characterId);
    // Built from what was written rather than read back: a big profile is megabytes of text.
    const words = read.words.reduce((sum, n) => sum + n, 0);
    return {
      id,
      characterId,
      title,
      sourceName: fileName,
      format: read.format,
      createdAt: now,
      updatedAt: now,
      words,
      chunks,
      provenance,
    };
  }

  private async readManuscript(base64: string, fileName: string): Promise<string> {
    // Said before decoding: the reader would say the same after a wasted pass over the bytes.
    checkManuscriptSize(Math.floor((base64.length * 3) / 4), fileName, MANUSCRIPT_LIMITS);
    const bytes = await runSliced(base64Steps(base64, fileName));
    return this.manuscripts.read(bytes, fileName);
  }

  rename(id: ProfileId, title: string): Profile {
    const profile = this.get(id);
    const clean = oneLine(title);
    if (!clean) throw new StudioFailure('invalid_argument', 'A profile needs a title.');
    checkStorableText(clean, 'The title', 'Type the title again without it.');
    if (clean.toLowerCase() !== profile.title.toLowerCase() && this.repo.titleExists(profile.characterId, clean)) {
      throw new StudioFailure(
        'conflict',
        `This character already has a profile titled "${clean}". Choose another title.`,
      );
    }
    this.repo.rename(id, clean, this.clock.now());
    this.changed(profile.characterId);
    return this.get(id);
  }

  delete(id: ProfileId): { deleted: true } {
    const profile = this.get(id);
    this.repo.delete(id);
    this.changed(profile.characterId);
    return { deleted: true };
  }

  updateChunk(id: ChunkId, text: string): Profile {
    const chunk = this.chunk(id);
    const clean = this.cleanChunkText(text);
    this.db.transaction(() => {
      this.repo.updateChunkText(id, clean, countWords(clean), this.clock.now());
      this.repo.touch(chunk.profileId, this.clock.now());
    })();
    return this.afterEdit(chunk.profileId);
  }

  split(id: ChunkId, offset: number): Profile {
    const chunk = this.chunk(id);
    // The offset counts UTF-16 code units (a textarea's caret); never split an emoji in two.
    const at = codePointBoundary(chunk.text, offset);
    const before = chunk.text.slice(0, at).trimEnd();
    const after = chunk.text.slice(at).trimStart();
    if (!before || !after) {
      throw new StudioFailure(
        'invalid_argument',
        'Place the cursor inside the text where it should be split; both parts need some text.',
      );
    }
    const now = this.clock.now();
    this.db.transaction(() => {
      this.repo.updateChunkText(id, before, countWords(before), now);
      this.repo.insertChunks(chunk.profileId, [this.newChunk(after)], chunk.position + 1, now);
      this.repo.touch(chunk.profileId, now);
    })();
    return this.afterEdit(chunk.profileId);
  }

  merge(id: ChunkId): Profile {
    const chunk = this.chunk(id);
    const next = this.repo.nextChunk(chunk);
    if (!next)
      throw new StudioFailure('invalid_argument', 'This is the last chunk: there is no chunk after it to merge with.');
    const merged = `${chunk.text}\n\n${next.text}`;
    if (merged.length > MAX_CHUNK_CHARS) {
      throw new StudioFailure(
        'too_large',
        `Merged, these chunks would exceed ${MAX_CHUNK_CHARS} characters. Keep them apart.`,
      );
    }
    const now = this.clock.now();
    this.db.transaction(() => {
      this.repo.updateChunkText(id, merged, countWords(merged), now);
      this.repo.deleteChunk(next.id);
      this.repo.renumber(chunk.profileId);
      this.repo.touch(chunk.profileId, now);
    })();
    return this.afterEdit(chunk.profileId);
  }

  deleteChunk(id: ChunkId): Profile {
    const chunk = this.chunk(id);
    const profile = this.get(chunk.profileId);
    if (profile.chunks.length === 1) {
      throw new StudioFailure(
        'invalid_argument',
        "This is the profile's only chunk. Delete the whole profile instead.",
      );
    }
    this.db.transaction(() => {
      this.repo.deleteChunk(id);
      this.repo.renumber(chunk.profileId);
      this.repo.touch(chunk.profileId, this.clock.now());
    })();
    return this.afterEdit(chunk.profileId);
  }

  private chunk(id: ChunkId): Chunk {
    const chunk = this.repo.chunk(id);
    if (!chunk)
      throw new StudioFailure('not_found', 'That chunk no longer exists. The profile may have changed; reload it.');
    return chunk;
  }

  private cleanChunkText(text: string): string {
    checkStorableText(text, 'The chunk text', 'Type or paste the text again without it.');
    const clean = normalizeText(text).trim();
    if (!clean) throw new StudioFailure('invalid_argument', 'A chunk cannot be empty. Delete it instead.');
    if (clean.length > MAX_CHUNK_CHARS) {
      throw new StudioFailure('too_large', `A chunk can hold at most ${MAX_CHUNK_CHARS} characters. Split it first.`);
    }
    return clean;
  }

  private newChunk(text: string): NewChunk {
    return { id: this.newId() as ChunkId, text, words: countWords(text) };
  }

  /**
   * `wanted`, or `wanted (2)`, `(3)`… when the character already has a profile of that title (case
   * ignored). One query and a set: the loop never returns to the database.
   */
  private uniqueTitle(characterId: CharacterId, wanted: string): string {
    const taken = new Set(this.repo.titles(characterId).map((title) => title.toLowerCase()));
    let title = sliceCodePoints(wanted, MAX_TITLE_CHARS);
    for (let n = 2; taken.has(title.toLowerCase()); n++)
      title = `${sliceCodePoints(wanted, MAX_TITLE_CHARS - 10)} (${n})`;
    return title;
  }

  private afterEdit(profileId: ProfileId): Profile {
    const profile = this.get(profileId);
    this.changed(profile.characterId);
    return profile;
  }

  private changed(characterId: CharacterId): void {
    this.events.emit('profiles/changed', { characterId });
    this.events.emit('characters/changed', { characterId });
  }
}
import { headingOf } from '../../common/headings';
