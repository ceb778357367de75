import { describe, expect, it } from 'vitest';
import { pollSeesALateState } from '../../support/poll-ceiling';

describe('expect.poll in the unit project', () => {
  it('waits past vitest’s 1 s default for a state that comes late, and returns once it holds', async () => {
    const waited = await pollSeesALateState();
    expect(waited).toBeGreaterThanOrEqual(1_400);
  });
});
