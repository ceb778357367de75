// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { JobId } from '../../../common/contract';
import { settleIn } from '../../support/dom';
import { connectRenderer } from '../../support/render';
import { openEditorOnLesson } from '../../support/editor-page';
import { call, studioForEachTest, type makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// When a rewrite of the open scene ends, the editor reads the scene back to take the new revision
// in. A read that failed was an unhandled rejection, and the editor said nothing.

let env: ReturnType<typeof makeStudio>;
studioForEachTest((opened) => (env = opened));
let disconnect: () => void;
beforeEach(() => {
  ({ disconnect } = connectRenderer(env.studio));
});
afterEach(() => disconnect());

it('says so when the rewritten scene cannot be read back', async () => {
  const { id, character, page } = await openEditorOnLesson(env.studio);
  try {
    // Deleted in another window, then a rewrite of it is announced: reading it back fails.
    await call(env.studio, 'scenes/delete', { characterId: character.id, ids: [id] });
    act(() =>
      env.studio.events.emit('scenes/regenerated', {
        characterId: character.id,
        sceneId: id,
        jobId: 'job-rewrite' as JobId,
        revision: 2,
        proposalId: null,
      }),
    );
    const status = () =>
      [...page.container.querySelectorAll('[role="status"]')].find((s) => /rewrite ended/.test(s.textContent ?? ''));
    await settleIn(page.container, () => status() !== undefined, 'the message');
    expect(status()!.className).toContain('form-error');
    expect(status()!.textContent).toMatch(
      /^The rewrite ended, but the scene could not be read back: .+ close the editor and open it again\.$/,
    );
  } finally {
    page.unmount();
  }
});
