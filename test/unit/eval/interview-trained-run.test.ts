/**
 * An interview job put to a trained run through its embedded runtime, all for real and offline: the
 * tiny random SentencePiece Llama trained by the real trainer in the paper's format, the run added as
 * an eval system of kind `run` (runtime `embedded`), and a single-turn interview of two questions.
 * The job's first answer converts the run (base model and adapter as GGUF, once, then cached) and
 * loads it in node-llama-cpp on one thread; every interview ends `done` with the character's answer.
 * (The conversion's own checks are test/unit/runtimes/chat-gguf.test.ts; endpoint interviewees are
 * interviews.test.ts.)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, TrainingRun } from '../../../common/contract';
import { chatGgufPlan, readRunManifest } from '../../../main/core/runtimes/chat-gguf';
import { questionSet } from '../../support/eval-seed';
import { call } from '../../support/studio';
import { tinyTrainingConfig, venvPython } from '../trainer/fixtures';
import { openTrainingBench } from '../training/bench';

// Training and converting are Python processes of several seconds each; a loaded machine stretches them a lot.
const TIMEOUT = 600_000;
let bench: Awaited<ReturnType<typeof openTrainingBench>>;
let run: TrainingRun;

beforeAll(async () => {
  bench = await openTrainingBench(6, 'sentencepiece');
  const started = await call(bench.env.studio, 'training/start', {
    characterId: bench.characterId,
    config: {
      // 768 tokens: the tiny SentencePiece vocabulary spells the paper's meta prompt alone in ~300.
      ...tinyTrainingConfig(bench.model, 'local', { maxSteps: 2, evalShare: 0, maxLength: 768 }),
      format: 'character-llm',
      python: venvPython,
    },
  });
  run = await bench.env.studio.training.whenIdle(started.id);
  expect(run.status, run.message ?? '').toBe('succeeded');
}, TIMEOUT);
afterAll(() => bench?.close(), TIMEOUT);

describe('interviewing a trained run', () => {
  it(
    'through its embedded runtime: converted once on the first answer, every interview answered',
    async () => {
      const { studio } = bench.env;
      const lora = chatGgufPlan(bench.env.dir, run.runDir, true, readRunManifest(run.runDir));
      expect(lora.adapterGguf).toBe(join(run.runDir, 'exports', 'adapter.gguf'));
      expect(lora.ready).toBe(false); // nothing converted before the interview asks

      const system = await call(studio, 'eval/systems/create', {
        characterId: bench.characterId,
        kind: 'run',
        answerer: { runtime: 'embedded', runId: run.id },
        // Greedy and short: the random model answers the same way every time, cut at the limit.
        sampling: { maxTokens: 16, temperature: 0 },
      });
      expect(system).toMatchObject({ kind: 'run', answerer: { runtime: 'embedded', runId: run.id } });
      const questions = await questionSet(studio, bench.characterId, 'Two questions', [
        { topicId: 'topic-1', text: 'Where were you born?', mode: 'single' },
        { topicId: 'topic-2', text: 'What are you writing now?', mode: 'single' },
      ]);

      const progressed: Job[] = [];
      const converting: string[] = [];
      const conversions = new Set<number>();
      const stop = studio.events.subscribe((name, payload) => {
        if (name === 'jobs/progressed') progressed.push(structuredClone(payload as Job));
        const exporting = name === 'training/progressed' ? (payload as TrainingRun).exporting : null;
        if (exporting?.purpose === 'chat') conversions.add(exporting.startedAt);
        if (exporting?.purpose === 'chat' && exporting.phase === 'converting' && exporting.target)
          converting.push(exporting.target);
      });
      let done: Job;
      try {
        const job = await call(studio, 'eval/interviews/start', {
          characterId: bench.characterId,
          systemIds: [system.id],
          setId: questions[0]!.setId,
          mode: 'single',
        });
        // The job runner's own promise for the job: resolves when its run ends, no polling.
        done = await studio.jobs.whenIdle(job.id);
      } finally {
        stop();
      }
      expect(done, done.message ?? '').toMatchObject({ kind: 'interview', status: 'succeeded', done: 2, failed: 0 });
      expect(progressed.filter((j) => j.id === done.id).at(-1)?.status).toBe('succeeded');

      const interviews = await call(studio, 'eval/interviews/list', {
        characterId: bench.characterId,
        jobId: done.id,
      });
      expect(interviews).toHaveLength(2);
      for (const interview of interviews) {
        expect(interview, interview.error ?? '').toMatchObject({
          rounds: 1,
          roundsDone: 1,
          status: 'done',
          error: null,
        });
        const { turns, system: answered } = await call(studio, 'eval/interviews/get', { id: interview.id });
        expect(answered.answerer).toEqual({ runtime: 'embedded', runId: run.id });
        expect(turns[0]).toMatchObject({ round: 1, role: 'interviewer', action: 'speaking', text: interview.question });
        const character = turns.filter((t) => t.role === 'character');
        expect(character.length).toBeGreaterThan(0);
        expect(character.every((t) => t.round === 1 && t.speaker === 'Beethoven')).toBe(true);
        // Said something, or was cut at the token limit (flagged on the turn and the interview).
        expect(character.some((t) => t.text.trim() !== '' || t.nonstop)).toBe(true);
        expect(interview.nonstop).toBe(character.some((t) => t.nonstop));
        // An embedded answer is no gateway call: the turns name no call (the system names the runtime).
        expect(character.every((t) => t.callId === null)).toBe(true);
      }

      // An answer cut at the token limit is told on the job too.
      const cut = interviews.filter((i) => i.nonstop).length;
      if (cut === 0) expect(done.message).toBeNull();
      else expect(done.message).toContain(`${cut} of 2 interviews hold an answer cut at the token limit`);

      // The first answer converted the run for chat (base model, then adapter), once; it is cached.
      expect(conversions.size).toBe(1);
      expect(new Set(converting)).toEqual(new Set(['gguf_base', 'adapter_gguf']));
      const after = chatGgufPlan(bench.env.dir, run.runDir, true, readRunManifest(run.runDir));
      expect(after.ready).toBe(true);
      expect(existsSync(after.baseGguf) && existsSync(after.adapterGguf!)).toBe(true);
      expect(after.baseGguf.startsWith(join(bench.env.dir, 'gguf'))).toBe(true);
      const again = await call(studio, 'training/prepare-chat', { id: run.id });
      expect(again).toMatchObject({
        baseGguf: after.baseGguf,
        adapterGguf: after.adapterGguf,
        format: 'character-llm',
        seconds: 0,
      });
    },
    TIMEOUT,
  );
});
