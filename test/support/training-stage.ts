import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Character, CommandArg, CommandName, CommandResult } from '../../common/contract';
import { buildTinyModel, trainerEnv } from '../unit/trainer/fixtures';
import { sharedBrowser } from './shared-browser';
import { startFakeLlmServer, type FakeLlmServer } from './fake-llm-server';
import { fixture, tempDir } from './paths';
import { invokeServe, startServe, type ServeHandle } from './serve';
import { studioResponder } from './studio-responder';
import { fakeProviderDraft, generationSettings } from './drafts';

/**
 * What the browser training tests stand on: the trainer's environment made quiet, single-threaded
 * and offline (serve's children inherit it), the tiny random Llama, Chromium, the fake LLM server
 * and a real `serve` on a fresh data folder. `close` undoes all of it, the environment included.
 */
export interface TrainingStage {
  browser: Browser;
  page: Page;
  serve: ServeHandle;
  llm: FakeLlmServer;
  /** The tiny model's folder, inside `modelsDir`. */
  model: string;
  modelsDir: string;
  dataDir: string;
  invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>>;
  close(): Promise<void>;
}

export async function openTrainingStage(
  name: string,
  pageOptions: Parameters<Browser['newPage']>[0] = {},
): Promise<TrainingStage> {
  const saved = Object.fromEntries(Object.keys(trainerEnv).map((key) => [key, process.env[key]]));
  Object.assign(process.env, trainerEnv);
  const models = tempDir(`cs-e2e-${name}-model-`);
  const model = buildTinyModel(path.join(models.dir, 'tiny-llama'));
  const browser = await sharedBrowser();
  const data = tempDir(`cs-e2e-${name}-`);
  const llm = await startFakeLlmServer({ apiKey: 'test-key', models: ['fake-model'], responder: studioResponder() });
  const serve = await startServe(data.dir);
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, ...pageOptions });
  page.on('pageerror', (error) => {
    throw error;
  });
  return {
    browser,
    page,
    serve,
    llm,
    model,
    modelsDir: models.dir,
    dataDir: data.dir,
    invoke: (command, arg) => invokeServe(serve, command, arg),
    close: async () => {
      await page.close();
      await browser.close();
      await serve.stop();
      await llm.close();
      data.cleanup();
      models.cleanup();
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    },
  };
}

/** Beethoven with the paper's profile and `targetScenes` scenes generated through the web door. */
export async function generatedOverHttp(stage: TrainingStage, targetScenes: number): Promise<Character> {
  const { invoke } = stage;
  const character = await invoke('characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '1770–1827, Bonn and Vienna',
    notes: '',
  });
  await invoke('profiles/import', {
    characterId: character.id,
    fileBase64: fs.readFileSync(fixture('wiki_Beethoven.txt')).toString('base64'),
    fileName: 'wiki_Beethoven.txt',
  });
  const provider = await invoke('providers/create', fakeProviderDraft(stage.llm.baseURL, 'Fake LLM'));
  const job = await invoke('generation/start', {
    characterId: character.id,
    settings: generationSettings(provider.id, { targetScenes, scenesPerCall: 4 }),
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = (await invoke('jobs/get', { id: job.id })).status;
    if (status === 'succeeded') return character;
    if (status !== 'running' && status !== 'queued') throw new Error(`generation ended ${status}`);
    if (Date.now() > deadline) throw new Error('generation did not finish within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
