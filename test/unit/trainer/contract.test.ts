/**
 * Holds the zod schemas of main/core/trainer/event-schemas.ts to resources/trainer/protocol.schema.json
 * (the source of truth) and to what the real trainer writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { TrainerEvent } from '../../../common/trainer-protocol';
import { writeTrainerDataset } from '../../../main/core/trainer/dataset-export';
import { TRAINER_EVENT_SCHEMAS, TRAINER_EVENT_TYPES } from '../../../main/core/trainer/event-schemas';
import { EventFollower, parseTrainerEvent } from '../../../main/core/trainer/events';
import { LocalTrainerLauncher } from '../../../main/core/trainer/local-launcher';
import { tempDir } from '../../support/paths';
import {
  beethoven,
  buildTinyModel,
  runPython,
  studioScene,
  studioScenes,
  tinyJob,
  trainerDir,
  trainerEnv,
  venvPython,
} from './fixtures';

interface JsonSchemaDef {
  properties: Record<string, unknown>;
  required: string[];
  additionalProperties?: boolean;
}
interface ProtocolSchema {
  oneOf: { $ref: string }[];
  $defs: Record<string, JsonSchemaDef & { properties: { type: { const: string } } }>;
}

const schemaPath = join(trainerDir, 'protocol.schema.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as ProtocolSchema;
const jsonTypes = schema.oneOf.map((ref) => schema.$defs[ref.$ref.replace('#/$defs/', '')]!.properties.type.const);

describe('protocol.schema.json and the zod schemas', () => {
  it('know the same event types', () => {
    // TRAINER_EVENT_SCHEMAS is typed as a total record over the TS union TrainerEventType, so its keys are that union.
    expect(new Set(TRAINER_EVENT_TYPES)).toEqual(new Set(jsonTypes));
    expect(TRAINER_EVENT_TYPES).toHaveLength(jsonTypes.length);
  });

  it.each(jsonTypes)('agree on the fields of "%s" and which are required', (type) => {
    const def = schema.$defs[type]!;
    const zodSchema = TRAINER_EVENT_SCHEMAS[type as TrainerEvent['type']] as unknown as z.ZodObject;
    const shape = zodSchema.shape as Record<string, z.ZodType>;
    expect(Object.keys(shape).sort()).toEqual(Object.keys(def.properties).sort());
    const required = Object.keys(shape).filter((key) => !shape[key]!.safeParse(undefined).success);
    expect(required.sort()).toEqual([...def.required].sort());
    expect(def.additionalProperties).toBe(false);
  });
});

describe('events written by the real trainer', { timeout: 120_000 }, () => {
  const tmp = tempDir('cs-trainer-contract-');
  const lines: string[] = [];

  beforeAll(async () => {
    const model = buildTinyModel(join(tmp.dir, 'tiny-llama'));
    // One long scene is cut at max_length: that yields a `warning` next to the usual events.
    const long = studioScene(
      20,
      {},
      Array.from({ length: 30 }, (_, i) => ({
        speaker: i % 2 ? 'Neefe' : 'Beethoven',
        kind: 'speaking' as const,
        text: `Line ${i} of a very long rehearsal.`,
      })),
    );
    const dataset = (await writeTrainerDataset(join(tmp.dir, 'scenes.jsonl'), [...studioScenes(5), long], beethoven))
      .path;
    const launcher = new LocalTrainerLauncher({ python: venvPython, trainerDir, env: trainerEnv });
    const runDir = join(tmp.dir, 'run');
    for (const job of [
      tinyJob(runDir, model, dataset),
      { ...tinyJob(join(tmp.dir, 'bad'), model, dataset), format: 'chat' as const, hyperparameters: { epochs: 0 } },
    ]) {
      await launcher.start(job);
      await launcher.waitForExit();
      lines.push(...readFileSync(join(job.run_dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean));
    }
    // The preview command's events (`preview` per scene) with the same launcher.
    const preview = tinyJob(join(tmp.dir, 'preview'), model, dataset);
    await launcher.start(preview, 'preview');
    await launcher.waitForExit();
    lines.push(...readFileSync(join(preview.run_dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean));
    lines.push(JSON.stringify(await launcher.doctor()));
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('cover every event type, and each validates with zod', () => {
    const events = lines.map((line) => parseTrainerEvent(line));
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(jsonTypes));
  });

  it('validate with the JSON schema too (jsonschema, Draft 2020-12)', () => {
    const code = `
import json, sys, jsonschema
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
bad = [f"{json.loads(l)['type']}: {e.message}" for l in open(sys.argv[2]).read().splitlines() for e in validator.iter_errors(json.loads(l))]
print(json.dumps(bad))`;
    const all = join(tmp.dir, 'all.jsonl');
    writeFileSync(all, lines.join('\n') + '\n');
    const out = runPython(code, [schemaPath, all]);
    expect(JSON.parse(out)).toEqual([]);
  });

  it('are what EventFollower reads back from events.jsonl', async () => {
    const followed = await new EventFollower().readFile(join(tmp.dir, 'run', 'events.jsonl'));
    expect(followed.length).toBeGreaterThan(8);
    expect(followed.map((e) => e.seq)).toEqual(followed.map((_, i) => i + 1));
  });
});
