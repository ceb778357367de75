import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Profile } from '../../../common/contract';
import { WebServer } from '../../../main/server/web-server';
import { doorClient, type DoorInvoke } from '../../support/http-door';
import { runProfileFuzz } from '../../support/profile-fuzz';
import { call, makeStudio } from '../../support/studio';

/**
 * Profile imports through the web door (issue 8, points 17–19): a big import does not stop the
 * server answering, hostile input never gets a 5xx, and the seeded fuzzer's figures hold. CI runs
 * PROFILE_FUZZ_CASES (default 250) cases; `npm run bench` runs ≥1,000 against the built `serve`.
 */

let env: ReturnType<typeof makeStudio>;
let server: WebServer;
let client: ReturnType<typeof doorClient>;
let invoke: DoorInvoke;

beforeEach(async () => {
  env = makeStudio();
  const staticDir = path.join(env.dir, 'static');
  fs.mkdirSync(staticDir, { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
  server = new WebServer({ studio: env.studio, staticDir, port: 0 });
  await server.start();
  client = doorClient(server.origin, server.token);
  invoke = client.invoke;
});
afterEach(async () => {
  client.close();
  await server.close();
  env.cleanup();
});

async function character(): Promise<string> {
  const reply = await invoke('characters/create', { fullName: 'Mara Vell', shortName: 'Mara', era: '', notes: '' });
  return (reply.body.result as { id: string }).id;
}

describe('profile imports through the web door', () => {
  it('answers another request while a big import is being read', async () => {
    const characterId = await character();
    const text = Array.from(
      { length: 15_000 },
      (_, i) => `Day ${i}: ${'the ship sailed on with a full crew. '.repeat(5)}`,
    ).join('\n\n');
    // Call-through spy: the real commands run; the spy notes the order in which the studio finishes them.
    const real = env.studio.invoke.bind(env.studio);
    const finished: string[] = [];
    let begun!: () => void;
    const importBegun = new Promise<void>((resolve) => (begun = resolve));
    vi.spyOn(env.studio, 'invoke').mockImplementation((name, arg) => {
      if (name === 'profiles/import') begun();
      return real(name, arg).finally(() => finished.push(name));
    });
    const big = invoke('profiles/import', { characterId, text });
    await importBegun;
    const ping = await invoke('characters/list', {});
    expect(ping.status).toBe(200);
    expect((await big).status).toBe(200);
    expect(finished).toEqual(['characters/list', 'profiles/import']);
  });

  it('reads a big body of characters of several bytes whole, and sends its big answer whole', async () => {
    const characterId = await character();
    // Megabytes of 2-, 3- and 4-byte characters: many fall across the body's chunks as they arrive.
    const text = Array.from(
      { length: 6_000 },
      (_, i) => `Tag ${i}: Ärger über die Überfahrt — 🌊 ’${'ß'.repeat(80)}’`,
    ).join('\n\n');
    const reply = await invoke('profiles/import', { characterId, text });
    expect(reply.status).toBe(200);
    const profile = reply.body.result as Profile;
    expect(profile.chunks.map((c) => c.text).join('\n\n')).toBe(text);
    expect(profile).toEqual(
      (await call(env.studio, 'profiles/list', { characterId: profile.characterId })).find((p) => p.id === profile.id),
    );
  });

  it('answers 400, never 500, to a chunk edit that starts with NUL', async () => {
    const characterId = await character();
    const imported = await invoke('profiles/import', { characterId, text: 'First.\n\nSecond.' });
    const chunk = (imported.body.result as Profile).chunks[0]!;
    const reply = await invoke('chunks/update', { id: chunk.id, text: '\0First.' });
    expect(reply.status).toBe(400);
    expect(reply.body.error?.message).toMatch(/NUL byte/);
  });

  it('holds against the seeded fuzzer: no hang, no 5xx, no text changed, every refusal right', async () => {
    const cases = Number(process.env.PROFILE_FUZZ_CASES ?? 250);
    const figures = await runProfileFuzz(invoke, {
      seed: 8,
      cases,
      hangMs: Number(process.env.PROFILE_FUZZ_HANG_MS ?? 3_000),
    });
    if (process.env.PROFILE_FUZZ_PRINT) console.log(JSON.stringify(figures, null, 1));
    expect(figures.serverErrors).toEqual([]);
    expect(figures.corruptions).toEqual([]);
    expect(figures.wrongOutcomes).toEqual([]);
    expect(figures.hangs).toEqual([]);
    expect(figures.cases).toBe(cases);
    expect(Object.keys(figures.byKind).length).toBeGreaterThanOrEqual(15);
  }, 300_000);
});
