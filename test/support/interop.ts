import type { CharacterId, FormatProblem, JobId, SceneId, Turn } from '../../common/contract';
import type { Studio } from '../../main/core/studio';
import { DatasetRepo } from '../../main/store/dataset-repo';
import { JobsRepo } from '../../main/store/jobs-repo';

/** A scene to seed: its setting, turns and what the generator said of them. */
export interface SeedScene {
  location: string;
  time?: string;
  background: string;
  turns: Turn[];
  protective?: boolean;
  problems?: FormatProblem[];
}

let seeded = 0;

/**
 * Writes scenes with their experiences as one finished generation job would (through the real
 * repositories, in one transaction), for tests and benches of what is done with a dataset.
 */
export function seedScenes(studio: Studio, characterId: CharacterId, scenes: readonly SeedScene[]): SceneId[] {
  const dataset = new DatasetRepo(studio.db);
  const jobId = `seed-job-${++seeded}` as JobId;
  const now = Date.now();
  new JobsRepo(studio.db).insertJob(
    { id: jobId, characterId, settings: { providerId: 'none', targetScenes: scenes.length } },
    now,
  );
  const ids: SceneId[] = [];
  studio.db.transaction(() => {
    scenes.forEach((s, i) => {
      const id = `${jobId}-scene-${i}` as SceneId;
      ids.push(id);
      dataset.insertScene(
        {
          id,
          characterId,
          jobId,
          itemId: `${jobId}-item-${i}`,
          ordinal: 0,
          chunkId: null,
          protective: s.protective ?? false,
          limit: s.protective ? 'The telephone' : null,
          type: s.protective ? 'protective' : 'Conversation',
          location: s.location,
          time: s.time ?? '',
          background: s.background,
          people: [...new Set(s.turns.map((t) => t.speaker))],
          callId: null,
          promptVersion: 'builtin@1',
        },
        now + i,
      );
      dataset.insertExperience(
        id,
        {
          background: s.background,
          turns: s.turns,
          callId: null,
          promptVersion: 'builtin@1',
          problems: s.problems ?? [],
        },
        now + i,
      );
    });
  })();
  return ids;
}

/** The example scene of METHOD.md §4 (its dialogue made up, its format exact). */
export const NEEFE_SCENE: SeedScene = {
  location: "Neefe's room in Bonn",
  background: 'Bonn, 1782. Sheet music covers the table. Young Beethoven sits at the piano while Neefe listens.',
  turns: [
    { speaker: 'Beethoven', kind: 'thinking', text: 'He will hear every wrong note.' },
    { speaker: 'Beethoven', kind: 'speaking', text: 'Good morning, Herr Neefe.' },
    { speaker: 'Beethoven', kind: 'speaking', text: 'I have brought the variations.' },
    { speaker: 'Neefe', kind: 'speaking', text: 'Then play them, Ludwig, and do not rush the second one.' },
  ],
};

/** A varied small dataset: merged turns, actions, non-ASCII text, a protective scene, a scene with problems. */
export function variedScenes(): SeedScene[] {
  return [
    NEEFE_SCENE,
    {
      location: 'Vienna, Heiligenstadt',
      time: '1802',
      background: 'Autumn; Beethoven writes to his brothers — a letter he will never send. «Ö» and 音 too.',
      turns: [
        { speaker: 'Beethoven', kind: 'action', text: 'puts down the pen' },
        { speaker: 'Beethoven', kind: 'speaking', text: 'Kaspar, Johann: read this when I am gone.\nNot before.' },
        { speaker: 'Karl Amenda', kind: 'speaking', text: 'You are not going anywhere, Ludwig.' },
        { speaker: 'Beethoven', kind: 'thinking', text: 'If only he knew how loud the silence is.' },
      ],
    },
    {
      location: 'A room',
      background: 'Beethoven is chatting with a person.',
      protective: true,
      turns: [
        { speaker: 'Emma Stone', kind: 'speaking', text: 'Have you ever used a telephone?' },
        { speaker: 'Beethoven', kind: 'speaking', text: 'A tele-what? Speak plainly, madam.' },
      ],
    },
    {
      location: 'Bonn, the court chapel',
      background: 'The organ is cold.',
      turns: [
        { speaker: 'Neefe', kind: 'thinking', text: 'The boy is gifted.' },
        { speaker: 'Beethoven', kind: 'speaking', text: 'May I play the fugue?' },
      ],
      problems: [{ code: 'other_thinking', message: 'Neefe thinks', turn: 0, raw: '' }],
    },
  ];
}
