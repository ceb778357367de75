import { describe, expect, it } from 'vitest';
import type { CharacterId, ProviderId, SceneId } from '../../../common/contract';
import { decodeSignature, sceneSignature } from '../../../main/core/pipeline/parse-dedupe';
import type { FakeChatRequest } from '../../support/fake-llm-server';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { studioResponder } from '../../support/studio-responder';
import {
  beethovenWithFakeProvider,
  call,
  generationSettings,
  studioForEachTest,
  type makeStudio,
} from '../../support/studio';

/**
 * A generation job checks new scenes against the character's scenes already there through their
 * stored near-duplicate signatures (migration 027): each scene a job keeps carries its signature,
 * a scene without one (older, imported) gets it from the next job, and an edit of the text drops it,
 * so the check always answers for the text the scene has now.
 */

let env: ReturnType<typeof makeStudio>;
let server: FakeLlmServer | undefined;
studioForEachTest(
  (opened) => (env = opened),
  () => server?.close(),
);

interface Text {
  location: string;
  background: string;
}

/**
 * The studio responder, whose next scene answer opens with `repeats` (reworded only in case and
 * punctuation), which it then empties (a call asking for fewer scenes would otherwise get nothing new).
 */
function repeating(repeats: Text[]) {
  const answer = studioResponder();
  return (req: FakeChatRequest): string => {
    const reply = answer(req) as string;
    const schema = (req.response_format as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
    if (schema !== 'scenes') return reply;
    const { scenes } = JSON.parse(reply) as { scenes: Text[] };
    repeats.forEach((r, i) => {
      if (scenes[i]) Object.assign(scenes[i], { location: r.location.toUpperCase(), background: `${r.background}!` });
    });
    if (scenes.length >= repeats.length) repeats.length = 0;
    return JSON.stringify({ scenes });
  };
}

/** A character with `targetScenes` generated scenes, and the list of repeats its next scene answer opens with. */
async function generated(targetScenes: number) {
  const repeats: Text[] = [];
  server = await startFakeLlmServer({ responder: repeating(repeats) });
  const { characterId, providerId } = await beethovenWithFakeProvider(env.studio, server.baseURL);
  await generate(characterId, providerId, targetScenes);
  return { repeats, characterId, providerId };
}

async function generate(characterId: CharacterId, providerId: ProviderId, targetScenes: number): Promise<void> {
  const job = await call(env.studio, 'generation/start', {
    characterId,
    settings: generationSettings(providerId, { targetScenes, scenesPerCall: 4, protectiveShare: 0 }),
  });
  const done = await env.studio.generation.whenIdle(job.id);
  expect(done.status, done.message ?? '').toBe('succeeded');
}

function scenes(): (Text & { id: SceneId; signature: Uint8Array | null })[] {
  return env.studio.db
    .prepare('SELECT id, location, background, dedupe_signature AS signature FROM scenes ORDER BY created_at, rowid')
    .all() as (Text & { id: SceneId; signature: Uint8Array | null })[];
}

/** How many scenes carry this text, compared as the duplicate check compares (case, punctuation). */
function copiesOf(text: Text): number {
  const key = (t: Text) =>
    `${t.location} ${t.background}`
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
  return scenes().filter((s) => key(s) === key(text)).length;
}

describe('near-duplicate signatures', () => {
  it('are stored with every scene a job keeps, filled in for scenes without one, and drop repeats of either', async () => {
    const { repeats, characterId, providerId } = await generated(4);
    const first = scenes();
    expect(first).toHaveLength(4);
    for (const scene of first) {
      // The stored signature is the one of the scene's text.
      expect(decodeSignature(scene.signature!)).toEqual(sceneSignature(scene));
    }
    // One scene as an older version left it (or an import): no signature.
    const [unsigned, signed] = first as [(typeof first)[0], (typeof first)[0]];
    env.studio.db.prepare('UPDATE scenes SET dedupe_signature = NULL WHERE id = ?').run(unsigned.id);

    repeats.push(unsigned, signed);
    await generate(characterId, providerId, 8);
    expect(scenes()).toHaveLength(8);
    expect(copiesOf(unsigned)).toBe(1);
    expect(copiesOf(signed)).toBe(1);
    // Every scene has its signature now, the one the job filled in included.
    for (const scene of scenes()) expect(decodeSignature(scene.signature!)).toEqual(sceneSignature(scene));
  }, 60_000);

  it('are dropped by an edit of the text, so the next job checks the text the scene has now', async () => {
    const { repeats, characterId, providerId } = await generated(4);
    const [before] = scenes() as [ReturnType<typeof scenes>[0]];
    const open = await call(env.studio, 'scenes/open', { id: before.id });
    const edited = {
      location: 'The Kärntnertor theatre, backstage',
      background: 'Beethoven, deaf now, is turned round by the contralto to see the audience applauding the Ninth.',
    };
    await call(env.studio, 'scenes/save', {
      id: before.id,
      baseRevision: open.revision,
      doc: { ...open.doc, ...edited },
    });
    const after = scenes().find((s) => s.id === before.id)!;
    expect(after.signature).toBeNull();

    // The old text is no longer in the dataset: a scene with it is new. The new text is: a repeat goes.
    repeats.push(before, edited);
    await generate(characterId, providerId, 8);
    expect(copiesOf(before)).toBe(1);
    expect(copiesOf(edited)).toBe(1);
    expect(decodeSignature(scenes().find((s) => s.id === before.id)!.signature!)).toEqual(sceneSignature(edited));
  }, 60_000);
});
