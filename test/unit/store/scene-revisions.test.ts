import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, JobId, SceneDoc, SceneId, Turn } from '../../../common/contract';
import type { Studio } from '../../../main/core/studio';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { call, callError, createBeethoven, makeStudio } from '../../support/studio';

// Scene revisions on a real SQLite file, through the validating dispatcher: the generated original
// recorded on the first edit, saves against a revision number, conflicts with a second window and
// with a job, word diffs, restore, hand-written scenes, and the stored figures kept right.

let env: ReturnType<typeof makeStudio>;
let studio: Studio;
let characterId: CharacterId;
beforeEach(async () => {
  env = makeStudio();
  studio = env.studio;
  characterId = await createBeethoven(studio);
});
afterEach(() => env.cleanup());

const generatedTurns: Turn[] = [
  { speaker: 'Neefe', kind: 'speaking', text: 'Play the fugue again, slower this time.' },
  { speaker: 'Beethoven', kind: 'thinking', text: 'He hears every dragging note.' },
];

/** A scene as a generation job writes it, with its experience unless `withExperience` is false. */
function generatedScene(withExperience = true): SceneId {
  const dataset = new DatasetRepo(studio.db);
  new JobsRepo(studio.db).insertJob({ id: 'job-1' as JobId, characterId, settings: {} }, 1000);
  const id = 'scene-1' as SceneId;
  dataset.insertScene(
    {
      id,
      characterId,
      jobId: 'job-1' as JobId,
      itemId: 'item-1',
      ordinal: 0,
      chunkId: null,
      protective: false,
      limit: null,
      type: 'Lesson',
      location: 'Bonn',
      time: '1783',
      background: 'Neefe teaches the boy.',
      people: ['Neefe'],
      callId: 'call-scenes',
      promptVersion: 'scenes-v1',
    },
    1000,
  );
  if (withExperience) writeJobExperience(id, generatedTurns);
  return id;
}

function writeJobExperience(id: SceneId, turns: Turn[]): void {
  new DatasetRepo(studio.db).insertExperience(
    id,
    {
      background: 'A cold morning.',
      turns,
      callId: 'call-experience',
      promptVersion: 'experience-v1',
      problems: [{ code: 'unlabeled_turn', message: 'no label', turn: 0, raw: '' }],
    },
    2000,
  );
}

describe('scene revisions', () => {
  it('records the generated original on the first save, then each save as a new revision', async () => {
    const id = generatedScene();
    const opened = await call(studio, 'scenes/open', { id });
    expect(opened.revision).toBe(2); // 1 as generated, 2 once the job wrote its experience
    const before = await call(studio, 'scenes/revisions', { id });
    expect(before).toMatchObject([
      { revision: 2, author: 'generated', callId: 'call-experience', promptVersion: 'experience-v1', createdAt: 1000 },
    ]);

    const edited: SceneDoc = { ...opened.doc, location: '  Bonn, the court chapel ', turns: [...opened.doc.turns] };
    edited.turns[0] = { ...edited.turns[0]!, text: 'Play the fugue again, much slower.' };
    const saved = await call(studio, 'scenes/save', { id, baseRevision: 2, doc: edited });
    expect(saved.revision).toBe(3);
    expect(saved.doc.location).toBe('Bonn, the court chapel');

    const revisions = await call(studio, 'scenes/revisions', { id });
    expect(revisions.map((r) => [r.revision, r.author])).toEqual([
      [2, 'generated'],
      [3, 'user'],
    ]);
    // The original, now stored, keeps the time the History gave it before (not the save's).
    expect(revisions[0]).toEqual(before[0]);
    expect(revisions[1]!.createdAt).toBeGreaterThan(1000);
    const scene = await call(studio, 'scenes/get', { id });
    expect(scene.location).toBe('Bonn, the court chapel');
    expect(scene.experience?.turns[0]?.text).toBe('Play the fugue again, much slower.');
    // The experience keeps its generating call; the model's format problems no longer describe it.
    expect(scene.experience).toMatchObject({ callId: 'call-experience', promptVersion: 'experience-v1', problems: [] });

    // The stored figures follow the edit: the statistics never parse experiences.
    const stats = await call(studio, 'dataset/stats', { characterId });
    expect(stats).toMatchObject({ experiences: 1, turns: 2, experiencesWithProblems: 0 });
    const wordsBefore = generatedTurns.reduce((n, t) => n + t.text.split(' ').length, 0);
    expect(stats.words).toBe(wordsBefore - 1); // 'slower this time.' became 'much slower.'
  });

  it('refuses a save from a stale revision (two windows, or a job) and overwrites nothing', async () => {
    const id = generatedScene(false);
    const windowA = await call(studio, 'scenes/open', { id });
    const windowB = await call(studio, 'scenes/open', { id });
    await call(studio, 'scenes/save', { id, baseRevision: windowA.revision, doc: { ...windowA.doc, time: '1784' } });
    const conflict = await callError(studio, 'scenes/save', {
      id,
      baseRevision: windowB.revision,
      doc: { ...windowB.doc, time: '1790' },
    });
    expect(conflict.code).toBe('conflict');
    expect(conflict.message).toMatch(/changed since you opened it.*reload/i);
    expect((await call(studio, 'scenes/get', { id })).time).toBe('1784');

    // A job writes the experience while a window holds the scene: the window's save is refused.
    const held = await call(studio, 'scenes/open', { id });
    writeJobExperience(id, generatedTurns);
    const fromJob = await callError(studio, 'scenes/save', { id, baseRevision: held.revision, doc: held.doc });
    expect(fromJob.code).toBe('conflict');
    expect((await call(studio, 'scenes/get', { id })).experience?.turns).toEqual(generatedTurns);
  });

  it('lets a refused save be compared with the newer revision and saved over it, which stays in the history', async () => {
    // Written without an experience and edited once; the editor then holds revision 2.
    const id = generatedScene(false);
    await call(studio, 'scenes/save', {
      id,
      baseRevision: 1,
      doc: { ...(await call(studio, 'scenes/open', { id })).doc, location: 'Bonn, the chapel' },
    });
    const held = await call(studio, 'scenes/open', { id });
    const mine: SceneDoc = { ...held.doc, time: 'Winter 1783' };
    // A run writes its experience meanwhile (no revision of its own): the save is refused.
    writeJobExperience(id, generatedTurns);
    expect((await callError(studio, 'scenes/save', { id, baseRevision: held.revision, doc: mine })).code).toBe(
      'conflict',
    );
    const theirs = await call(studio, 'scenes/open', { id });

    // What changed on their side, and what mine would change in theirs, from the documents the editor holds.
    const theirChanges = await call(studio, 'scenes/diff', {
      id,
      from: { doc: held.doc, basedOn: held.revision },
      to: { doc: theirs.doc, basedOn: theirs.revision },
    });
    expect(theirChanges).toMatchObject({ from: held.revision, to: theirs.revision });
    expect(theirChanges.sections.filter((section) => section.changed).map((section) => section.label)).toEqual([
      'Experience background',
      'Turns',
    ]);
    const mineOverTheirs = await call(studio, 'scenes/diff', {
      id,
      from: 'current',
      to: { doc: mine, basedOn: held.revision },
    });
    expect(mineOverTheirs.sections.filter((section) => section.changed).map((section) => section.label)).toEqual([
      'Time',
      'Experience background',
      'Turns',
    ]);

    // Keep mine: saved against their revision; theirs (the run's experience) stays in the history.
    const kept = await call(studio, 'scenes/save', { id, baseRevision: theirs.revision, doc: mine });
    expect((await call(studio, 'scenes/open', { id })).doc).toEqual(mine);
    const history = await call(studio, 'scenes/revisions', { id });
    expect(history.map((r) => [r.revision, r.author, r.callId])).toEqual([
      [1, 'generated', 'call-scenes'],
      [2, 'user', null],
      [theirs.revision, 'generated', 'call-experience'],
      [kept.revision, 'user', null],
    ]);
    expect(history[2]!.createdAt).toBe(2000);
    await call(studio, 'scenes/restore', { id, revision: theirs.revision, baseRevision: kept.revision });
    expect((await call(studio, 'scenes/open', { id })).doc).toEqual(theirs.doc);

    // A document is compared only for a scene that exists, and must be a scene document.
    const gone = await callError(studio, 'scenes/diff', {
      id: 'no-such-scene',
      from: { doc: mine, basedOn: 1 },
      to: 'current',
    });
    expect(gone.code).toBe('not_found');
    const malformed = await callError(studio, 'scenes/diff', {
      id,
      from: { doc: { type: 'Walk' }, basedOn: 1 },
      to: 'current',
    });
    expect(malformed.code).toBe('invalid_argument');
  });

  it('diffs any two revisions word by word and restores an old one as a new revision', async () => {
    const id = generatedScene();
    const { doc } = await call(studio, 'scenes/open', { id });
    const changed: SceneDoc = {
      ...doc,
      background: 'Neefe teaches the gifted boy.',
      turns: [{ ...doc.turns[0]!, text: 'Play the fugue again, faster this time.' }, doc.turns[1]!],
    };
    await call(studio, 'scenes/save', { id, baseRevision: 2, doc: changed });
    const diff = await call(studio, 'scenes/diff', { id, from: 'original', to: 'current' });
    expect(diff).toMatchObject({ from: 2, to: 3 });
    const background = diff.sections.find((s) => s.label === 'Background')!;
    expect(background.changed).toBe(true);
    expect(background.parts.filter((p) => p.change === 'added').map((p) => p.text.trim())).toEqual(['gifted']);
    const turnsSection = diff.sections.find((s) => s.label === 'Turns')!;
    expect(turnsSection.parts.filter((p) => p.change === 'removed').map((p) => p.text.trim())).toEqual(['slower']);
    expect(turnsSection.parts.filter((p) => p.change === 'added').map((p) => p.text.trim())).toEqual(['faster']);
    expect(diff.sections.find((s) => s.label === 'Location')!.changed).toBe(false);

    const restored = await call(studio, 'scenes/restore', { id, revision: 2, baseRevision: 3 });
    expect(restored.revision).toBe(4);
    expect((await call(studio, 'scenes/open', { id })).doc).toEqual(doc);
    expect((await call(studio, 'scenes/revisions', { id })).at(-1)).toMatchObject({ revision: 4, restoredFrom: 2 });
    expect((await call(studio, 'scenes/diff', { id, from: 2, to: 4 })).sections.every((s) => !s.changed)).toBe(true);

    const missing = await callError(studio, 'scenes/diff', { id, from: 1, to: 'current' });
    expect(missing).toMatchObject({ code: 'not_found' });
    expect(missing.message).toMatch(/revisions are 2, 3, 4/);
  });

  it('refuses a turn without speaker or text, saying which, and keeps the stored scene', async () => {
    const id = generatedScene();
    const { doc } = await call(studio, 'scenes/open', { id });
    const bad = { ...doc, turns: [...doc.turns, { speaker: ' ', kind: 'speaking' as const, text: 'Who?' }] };
    const error = await callError(studio, 'scenes/save', { id, baseRevision: 2, doc: bad });
    expect(error).toMatchObject({ code: 'invalid_argument' });
    expect(error.message).toMatch(/Turn 3 has no speaker/);
    expect((await call(studio, 'scenes/open', { id })).revision).toBe(2);
  });

  it('creates a scene by hand, without any LLM, and it trains like any other', async () => {
    const doc: SceneDoc = {
      type: 'Walk',
      location: 'Heiligenstadt',
      time: '1802',
      background: 'Beethoven walks alone and cannot hear the shepherd’s flute.',
      people: [],
      experienceBackground: '',
      turns: [{ speaker: 'Beethoven', kind: 'thinking', text: 'Nothing. Not a note.' }],
    };
    const { id, revision } = await call(studio, 'scenes/create', { characterId, doc });
    expect(revision).toBe(1);
    const opened = await call(studio, 'scenes/open', { id });
    expect(opened).toMatchObject({ origin: 'hand', revision: 1, doc });
    expect(opened.scene.callId).toBeNull();
    expect(await call(studio, 'scenes/revisions', { id })).toMatchObject([
      { revision: 1, author: 'user', callId: null },
    ]);
    expect([...new DatasetRepo(studio.db).trainableScenePages(characterId)].flat().map((s) => s.id)).toEqual([id]);
    expect(await call(studio, 'dataset/stats', { characterId })).toMatchObject({ scenes: 1, experiences: 1, turns: 1 });

    const empty = await callError(studio, 'scenes/create', {
      characterId,
      doc: { ...doc, type: '', location: ' ', background: '' },
    });
    expect(empty.message).toMatch(/needs at least a type, a location or a background/);
  });

  it('duplicates a scene as a hand-written variant that keeps its chunk, protective limit and tags', async () => {
    await call(studio, 'profiles/import', {
      characterId,
      fileBase64: Buffer.from('Bonn, 1783. Neefe teaches the boy.\n\nVienna, 1792. Haydn.').toString('base64'),
      fileName: 'life.txt',
    });
    const chunkId = studio.db.prepare('SELECT id FROM chunks ORDER BY position LIMIT 1').pluck().get() as string;
    const id = generatedScene();
    studio.db
      .prepare(`UPDATE scenes SET chunk_id = ?, protective = 1, limit_text = 'the metronome' WHERE id = ?`)
      .run(chunkId, id);
    await call(studio, 'review/set', { characterId, ids: [id], status: 'accepted', rating: 5, addTags: ['lesson'] });

    const copy = await call(studio, 'scenes/duplicate', { id });
    expect(copy.revision).toBe(1);
    const [original, duplicate] = [
      await call(studio, 'scenes/get', { id }),
      await call(studio, 'scenes/get', { id: copy.id }),
    ];
    expect(duplicate).toMatchObject({
      characterId,
      origin: 'hand',
      chunkId,
      protective: true,
      limit: 'the metronome',
      review: { status: 'unreviewed', rating: null, tags: ['lesson'], reviewedAt: null },
      location: original.location,
      experience: { turns: original.experience!.turns, callId: null },
    });
    // From an editor's unsaved text: that text, and the original stays as stored.
    const opened = await call(studio, 'scenes/open', { id });
    const variant = await call(studio, 'scenes/duplicate', { id, doc: { ...opened.doc, location: 'Vienna' } });
    expect((await call(studio, 'scenes/get', { id: variant.id })).location).toBe('Vienna');
    expect((await call(studio, 'scenes/get', { id })).location).toBe('Bonn');
    expect((await callError(studio, 'scenes/duplicate', { id: 'no-such-scene' as SceneId })).code).toBe('not_found');
  });
});
