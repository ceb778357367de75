import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Character, CharacterId, SceneId } from '../../common/contract';
import { DatasetImportService, IoRequests, type WriteLog } from '../../main/core/interop/dataset-import';
import { Studio } from '../../main/core/studio';
import { DatasetImportRepo } from '../../main/store/dataset-import-repo';
import type { StagedScene } from '../../main/store/import-stage';
import { sceneFigures } from '../../main/store/scene-figures';
import { turnFigures } from '../../main/store/turn-figures';
import { tempDir } from './paths';
import { call, createBeethoven } from './studio';

/** A studio on a fresh data folder with Beethoven, and a file of `lines` to import into him. */
export interface ImportEnv {
  studio: Studio;
  dir: string;
  cleanup: () => void;
  characterId: CharacterId;
  character: Character;
  file: string;
}

export async function importEnv(prefix: string, lines: readonly string[]): Promise<ImportEnv> {
  const tmp = tempDir(prefix);
  const studio = new Studio({ dataDir: tmp.dir, door: 'cli', version: 'test', embeddedThreads: 1 });
  const characterId = await createBeethoven(studio);
  const character = await call(studio, 'characters/get', { id: characterId });
  const file = path.join(tmp.dir, 'scenes.jsonl');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return { studio, ...tmp, characterId, character, file };
}

/** `n` lines of an OpenAI chat file, each a short scene with Neefe on evening `i`. */
export function eveningLines(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      messages: [
        { role: 'system', content: `A quiet room, evening ${i}.` },
        { role: 'user', content: 'Neefe: Again.' },
        { role: 'assistant', content: 'As you wish.' },
      ],
    }),
  );
}

/** Shuts the studio down and removes its folder. */
export async function closeImportEnv(env: ImportEnv): Promise<void> {
  await env.studio.shutdown();
  env.studio.close();
  env.cleanup();
}

/**
 * The studio's importer, with a slice budget of 0 ms: every slice is one step of COPY_STEP_SCENES
 * scenes, written on a thread of its own as the studio's are.
 */
export function importer(
  env: ImportEnv,
  requests = new IoRequests(),
  log: { log: WriteLog; roomFrames: number } | null = null,
  repo = new DatasetImportRepo(env.studio.db, { file: env.studio.databasePath }),
): DatasetImportService {
  return new DatasetImportService(
    repo,
    () => env.character,
    env.studio.events,
    { now: Date.now },
    randomUUID,
    requests,
    0,
    log?.log ?? null,
    log?.roomFrames,
  );
}

/** `n` staged scenes with an experience each, as an import stages them; `text(i)` gives scene i its words. */
export function stagedScenes(character: Character, n: number, text = (_i: number) => 'A quiet room.'): StagedScene[] {
  return Array.from({ length: n }, (_, i) => ({
    id: randomUUID() as SceneId,
    ordinal: i + 1,
    protective: false,
    type: 'Conversation',
    location: `Bonn, ${text(i + 1)}`,
    background: text(i + 2),
    people: ['Neefe'],
    file: null,
    line: i + 1,
    source: null,
    doc: '{}',
    experience: {
      background: text(i + 3),
      turns: JSON.stringify([{ speaker: 'Neefe', text: text(i + 4) }]),
      problems: '[]',
      figures: sceneFigures(text(i + 3), [], [], character),
      turnFigures: turnFigures([]),
    },
  }));
}
