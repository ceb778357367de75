import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AppInfo, Door } from '../../common/contract';
import { CharactersRepo } from '../store/characters-repo';
import { openDatabase, type Db } from '../store/database';
import { migrations } from '../store/migrations';
import { ProfilesRepo } from '../store/profiles-repo';
import { CharacterService } from './character-service';
import { systemClock, type Clock, type IdFactory } from './clock';
import { ensureDataDir } from './data-dir';
import { dispatch, type Handlers, type Outcome } from './dispatch';
import { EventBus } from './events';
import { ProfileService } from './profile-service';
import { MAX_CHUNK_CHARS, MAX_PROFILE_BYTES } from './profile-text';

export const DATABASE_FILE = 'studio.sqlite';

export interface StudioOptions {
  dataDir: string;
  door: Door;
  version: string;
  nativeBinding?: string;
  clock?: Clock;
  newId?: IdFactory;
}

/**
 * The core behind every door: opens the store in the data folder, builds the services and
 * exposes the contract as `handlers` plus `invoke` (validated) and `events`.
 */
export class Studio {
  readonly events = new EventBus();
  readonly handlers: Handlers;
  readonly db: Db;
  readonly databasePath: string;

  constructor(readonly options: StudioOptions) {
    ensureDataDir(options.dataDir);
    this.databasePath = path.join(options.dataDir, DATABASE_FILE);
    this.db = openDatabase(this.databasePath, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
    const clock = options.clock ?? systemClock;
    const newId = options.newId ?? randomUUID;
    const characters = new CharacterService(new CharactersRepo(this.db), this.events, clock, newId);
    const profiles = new ProfileService(this.db, new ProfilesRepo(this.db), characters, this.events, clock, newId);

    this.handlers = {
      'app/info': () => this.info(),
      'characters/list': () => characters.list(),
      'characters/get': ({ id }) => characters.get(id),
      'characters/create': (draft) => characters.create(draft),
      'characters/update': ({ id, ...patch }) => characters.update(id, patch),
      'characters/delete': ({ id }) => characters.delete(id),
      'profiles/list': ({ characterId }) => profiles.list(characterId),
      'profiles/import': (request) => profiles.import(request),
      'profiles/rename': ({ id, title }) => profiles.rename(id, title),
      'profiles/delete': ({ id }) => profiles.delete(id),
      'chunks/update': ({ id, text }) => profiles.updateChunk(id, text),
      'chunks/split': ({ id, offset }) => profiles.split(id, offset),
      'chunks/merge': ({ id }) => profiles.merge(id),
      'chunks/delete': ({ id }) => profiles.deleteChunk(id),
    } satisfies Handlers;
  }

  invoke(name: string, arg: unknown): Promise<Outcome> {
    return dispatch(this.handlers, name, arg);
  }

  info(): AppInfo {
    return {
      version: this.options.version,
      door: this.options.door,
      dataDir: this.options.dataDir,
      databasePath: this.databasePath,
      schemaVersion: migrations.at(-1)?.id ?? 0,
      limits: { maxProfileBytes: MAX_PROFILE_BYTES, maxChunkChars: MAX_CHUNK_CHARS },
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
