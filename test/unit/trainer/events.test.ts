import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventFollower, parseTrainerEvent, TrainerProtocolError } from '../../../main/core/trainer/events';
import { describeExit } from '../../../main/core/trainer/supervision';
import { tempDir } from '../../support/paths';

const tmp = tempDir('cs-trainer-events-');
afterAll(() => tmp.cleanup());

function progress(seq: number, step = seq): string {
  return JSON.stringify({
    v: 1,
    type: 'progress',
    ts: 1.5,
    seq,
    step,
    total_steps: 10,
    epoch: step / 10,
    loss: seq === 3 ? null : 2.5,
  });
}
const hello = JSON.stringify({
  v: 1,
  type: 'hello',
  ts: 1,
  seq: 1,
  command: 'train',
  pid: 42,
  protocol: 1,
  trainer_version: '0.1.0',
  versions: { python: '3.11.7', torch: null },
  rank: 0,
  world_size: 1,
  run_dir: '/r',
});

describe('parseTrainerEvent', () => {
  it('accepts protocol events and says what is wrong with bad ones', () => {
    expect(parseTrainerEvent(hello)).toMatchObject({ type: 'hello', pid: 42 });
    expect(parseTrainerEvent(progress(3))).toMatchObject({ type: 'progress', loss: null });
    expect(() =>
      parseTrainerEvent('{"v": 1, "type": "progress", "ts": 1, "seq": 2, "step": "x", "total_steps": 1, "epoch": 0}'),
    ).toThrow(/Invalid trainer "progress" event \(progress\.step: .*expected number/);
    expect(() => parseTrainerEvent(JSON.stringify({ ...JSON.parse(progress(2)), extra: 1 }))).toThrow(
      /progress.*extra/i,
    );
    expect(() => parseTrainerEvent('{"v": 2, "type": "done", "ts": 1, "seq": 1}')).toThrow(
      /protocol v2, this studio understands v1/,
    );
    expect(() => parseTrainerEvent('{"v": 1, "type": "party", "ts": 1, "seq": 1}')).toThrow(
      /Unknown trainer event type "party"/,
    );
    expect(() => parseTrainerEvent('Loading weights: 100%')).toThrow(/not JSON/);
  });
});

describe('EventFollower', () => {
  it('holds back a partial last line until the rest arrives, even mid UTF-8 character', () => {
    const follower = new EventFollower();
    const warning = JSON.stringify({ v: 1, type: 'warning', ts: 1, seq: 2, code: 'c', message: 'Beethoven’s Ü' });
    const bytes = Buffer.from(`${hello}\n${warning}\n${progress(3)}`);
    const split = bytes.indexOf(Buffer.from('Ü')) + 1; // inside the two-byte Ü
    expect(follower.push(bytes.subarray(0, split)).map((e) => e.seq)).toEqual([1]);
    expect(follower.offset).toBe(Buffer.byteLength(hello) + 1);
    expect(follower.readPosition).toBe(split);
    const rest = follower.push(bytes.subarray(split));
    expect(rest).toEqual([expect.objectContaining({ seq: 2, message: 'Beethoven’s Ü' })]);
    expect(follower.push(Buffer.from('\n')).map((e) => e.seq)).toEqual([3]);
    expect(follower.offset).toBe(bytes.length + 1);
    expect(follower.lastSeq).toBe(3);
  });

  it('re-attaches from the last seen seq: no event lost, none repeated, whatever the offset', () => {
    const file = [hello, progress(2), progress(3), progress(4), progress(5)].join('\n') + '\n';
    const first = new EventFollower();
    const seen = first.push(Buffer.from(file.slice(0, 200))).map((e) => e.seq);
    // A new follower (app restarted) knows only the last seq: it reads from byte 0 and skips what was seen.
    const again = new EventFollower({ afterSeq: first.lastSeq });
    const rest = again.push(Buffer.from(file)).map((e) => e.seq);
    expect([...seen, ...rest]).toEqual([1, 2, 3, 4, 5]);
    // With a remembered offset it starts there.
    const resumed = new EventFollower({ afterSeq: 3, offset: file.indexOf(progress(4)) });
    expect(resumed.push(Buffer.from(file.slice(file.indexOf(progress(4))))).map((e) => e.seq)).toEqual([4, 5]);
  });

  it('throws a clear error for a corrupted line, keeping the good events around it', () => {
    const follower = new EventFollower();
    const text = `${hello}\nnot json at all\n${progress(2)}\n`;
    let thrown: unknown;
    try {
      follower.push(Buffer.from(text));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TrainerProtocolError);
    const problem = thrown as TrainerProtocolError;
    expect(problem.message).toMatch(/not JSON .*not json at all/);
    expect(problem.offset).toBe(Buffer.byteLength(hello) + 1);
    expect(problem.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(follower.offset).toBe(Buffer.byteLength(text)); // past the bad line: the next push goes on
  });

  it('reports and skips a line torn by a crash when asked to, and goes on', () => {
    const problems: TrainerProtocolError[] = [];
    const follower = new EventFollower({ onInvalidLine: (p) => problems.push(p) });
    // The trainer's next attempt ends a torn line with a newline and continues the seq count.
    const events = follower.push(Buffer.from(`${hello}\n{"v": 1, "type": "progr\n${progress(2)}\n`));
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(problems).toHaveLength(1);
  });

  it('follows a growing file by byte offset and starts over when the file is replaced', async () => {
    const path = join(tmp.dir, 'events.jsonl');
    const follower = new EventFollower();
    expect(await follower.readFile(path)).toEqual([]); // not written yet
    writeFileSync(path, `${hello}\n${progress(2).slice(0, 20)}`);
    expect((await follower.readFile(path)).map((e) => e.seq)).toEqual([1]);
    appendFileSync(path, `${progress(2).slice(20)}\n${progress(3)}\n`);
    expect((await follower.readFile(path)).map((e) => e.seq)).toEqual([2, 3]);
    expect(await follower.readFile(path)).toEqual([]);
    writeFileSync(path, `${hello}\n${progress(4)}\n`); // shorter than our offset
    expect((await follower.readFile(path)).map((e) => e.seq)).toEqual([4]);
  });
});

describe('how a run ended', () => {
  const done = (status: 'completed' | 'stopped' | 'cancelled') =>
    ({ v: 1, type: 'done', ts: 1, seq: 9, status, outputs: { checkpoint: '/r/checkpoints/step-4' } }) as const;
  const error = (code: string) => ({ v: 1, type: 'error', ts: 1, seq: 9, code, message: 'no room' }) as const;

  it('reads the exit code when the trainer ran alone', () => {
    expect(describeExit(4, null, done('stopped')).meaning).toBe('stopped');
    expect(describeExit(3, null, null).meaning).toBe('oom');
    expect(describeExit(null, 'SIGKILL', null).meaning).toBe('killed');
    expect(describeExit(1, null, null).message).toMatch(/without saying why/);
  });

  it('believes the terminal event over torchrun, which reports every failing worker as exit 1', () => {
    const stopped = describeExit(1, null, done('stopped'));
    expect(stopped.meaning).toBe('stopped');
    expect(stopped.message).toMatch(/stopped with a checkpoint at \/r\/checkpoints\/step-4/);
    expect(describeExit(1, null, done('cancelled')).meaning).toBe('cancelled');
    expect(describeExit(1, null, error('out_of_memory')).meaning).toBe('oom');
    expect(describeExit(1, null, error('invalid_dataset')).meaning).toBe('invalid_job');
    expect(describeExit(1, null, error('disk_full')).meaning).toBe('error');
    // A kill after the terminal event is still a kill.
    expect(describeExit(137, null, done('stopped')).meaning).toBe('killed');
  });
});
