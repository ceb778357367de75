/** Folding the trainer's byte-progress `phase` events (the base model's download) into a run's live state. */
import { describe, expect, it } from 'vitest';
import type { TrainingTransfer } from '../../../common/contract';
import type { TrainerEvent } from '../../../common/trainer-protocol';
import { foldTransfer, parseTrainerEvent } from '../../../main/core/trainer/events';
import { transferLabel } from '../../../renderer/src/components/training/training-form';

const SHA = '0123456789abcdef0123456789abcdef01234567';
let seq = 0;
function event(fields: Record<string, unknown>): TrainerEvent {
  seq += 1;
  // Through the real parser, so every event here is one the studio accepts from the trainer.
  return parseTrainerEvent(JSON.stringify({ v: 1, ts: seq, seq, ...fields }));
}
function downloading(done: number, filesDone: number): TrainerEvent {
  return event({
    type: 'phase',
    name: 'downloading',
    base_model: 'Qwen/Qwen2.5-0.5B',
    revision: SHA,
    done_bytes: done,
    total_bytes: 988_000_000,
    files_done: filesDone,
    files_total: 6,
  });
}

function fold(events: TrainerEvent[]): (TrainingTransfer | null)[] {
  const states: (TrainingTransfer | null)[] = [];
  let state: TrainingTransfer | null = null;
  for (const e of events) {
    state = foldTransfer(state, e);
    states.push(state);
  }
  return states;
}

describe('foldTransfer', () => {
  it('follows a download from its start to the next phase', () => {
    const states = fold([
      event({ type: 'phase', name: 'loading_dataset' }),
      downloading(0, 0),
      event({ type: 'warning', code: 'scenes_truncated', message: 'cut' }),
      downloading(312_000_000, 3),
      downloading(988_000_000, 6),
      event({ type: 'phase', name: 'loading_tokenizer' }),
    ]);
    expect(states[0]).toBeNull();
    expect(states[1]).toEqual({
      phase: 'downloading',
      subject: 'Qwen/Qwen2.5-0.5B',
      revision: SHA,
      doneBytes: 0,
      totalBytes: 988_000_000,
      filesDone: 0,
      filesTotal: 6,
    });
    expect(states[2]).toBe(states[1]); // other events leave it alone
    expect(states[3]).toMatchObject({ doneBytes: 312_000_000, filesDone: 3 });
    expect(states[4]).toMatchObject({ doneBytes: 988_000_000, totalBytes: 988_000_000, filesDone: 6 });
    expect(states[5]).toBeNull();
  });

  it('keeps what an earlier event of the same phase said, and forgets it in a new phase', () => {
    const [first, second] = fold([
      event({ type: 'phase', name: 'fetching_converter', done_bytes: 10, total_bytes: 100 }),
      event({ type: 'phase', name: 'fetching_converter', done_bytes: 50 }),
    ]);
    expect(first).toMatchObject({ phase: 'fetching_converter', subject: null, doneBytes: 10, totalBytes: 100 });
    expect(second).toMatchObject({ doneBytes: 50, totalBytes: 100, filesTotal: null });
    const other = foldTransfer(second!, downloading(5, 0));
    expect(other).toMatchObject({ phase: 'downloading', doneBytes: 5, subject: 'Qwen/Qwen2.5-0.5B' });
  });

  it('ends with the run, even in the middle of a download', () => {
    const during = foldTransfer(null, downloading(1, 0));
    expect(foldTransfer(during, event({ type: 'error', code: 'model_not_found', message: 'no' }))).toBeNull();
    expect(foldTransfer(during, event({ type: 'done', status: 'cancelled', outputs: {} }))).toBeNull();
  });
});

describe('transferLabel', () => {
  it('says what downloads and how far it got', () => {
    const state = foldTransfer(null, downloading(312_000_000, 3))!;
    expect(transferLabel(state)).toBe('Downloading Qwen/Qwen2.5-0.5B: 312 MB of 988 MB');
    expect(transferLabel({ ...state, doneBytes: 1_500, totalBytes: null })).toBe(
      'Downloading Qwen/Qwen2.5-0.5B: 1.5 kB',
    );
    expect(transferLabel({ ...state, doneBytes: 2_340_000_000, totalBytes: 15_200_000_000 })).toBe(
      'Downloading Qwen/Qwen2.5-0.5B: 2.3 GB of 15.2 GB',
    );
  });
});
