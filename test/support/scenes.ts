import type { CharacterId, JobId, SceneId } from '../../common/contract';
import type { Studio } from '../../main/core/studio';
import { DatasetRepo, type NewScene } from '../../main/store/dataset-repo';
import { JobsRepo } from '../../main/store/jobs-repo';
import { createBeethoven } from './studio';

/**
 * A scene of job `job` written straight to the store, as a generation job writes it: a lesson in
 * Bonn with Neefe unless `fields` says otherwise. `at`: its creation time (ms).
 */
export function insertLesson(
  dataset: DatasetRepo,
  characterId: CharacterId,
  id: SceneId,
  fields: Partial<NewScene> = {},
  at = 1_000,
): SceneId {
  dataset.insertScene(
    {
      id,
      characterId,
      jobId: 'job' as JobId,
      itemId: id,
      ordinal: 0,
      chunkId: null,
      protective: false,
      limit: null,
      type: 'Lesson',
      location: 'Bonn',
      time: '1783',
      background: 'Neefe listens.',
      people: ['Neefe'],
      callId: null,
      promptVersion: 'builtin@1',
      ...fields,
    },
    at,
  );
  return id;
}

/** Beethoven on `studio` with the job `job` his lessons belong to, and the store to write them with. */
export async function beethovenWithJob(studio: Studio): Promise<{ characterId: CharacterId; dataset: DatasetRepo }> {
  const characterId = await createBeethoven(studio);
  new JobsRepo(studio.db).insertJob({ id: 'job' as JobId, characterId, settings: {} }, 1);
  return { characterId, dataset: new DatasetRepo(studio.db) };
}

/**
 * A generated scene with its experience, as a job leaves it: the experience arriving moves the
 * scene's save counter on, so it is stored as revision 2 though History lists it as the first.
 */
export async function generatedLessonWithExperience(
  studio: Studio,
  /** A character already there (with no job `job` yet); by default a new Beethoven. */
  of?: CharacterId,
): Promise<{ id: SceneId; characterId: CharacterId }> {
  if (of) new JobsRepo(studio.db).insertJob({ id: 'job' as JobId, characterId: of, settings: {} }, 1);
  const { characterId, dataset } = of
    ? { characterId: of, dataset: new DatasetRepo(studio.db) }
    : await beethovenWithJob(studio);
  const id = insertLesson(dataset, characterId, 'scene-1' as SceneId);
  dataset.insertExperience(
    id,
    {
      background: 'Neefe listens.',
      turns: [{ speaker: 'Beethoven', kind: 'speaking', text: 'Good morning, Herr Neefe.' }],
      callId: null,
      promptVersion: 'builtin@1',
      problems: [],
    },
    2_000,
  );
  return { id, characterId };
}
