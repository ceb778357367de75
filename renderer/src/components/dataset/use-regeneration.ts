import { useCallback, useRef, useState } from 'react';
import type { Events, Job, JobId, RegenerateJob, SceneId } from '../../../../common/contract';
import type { SceneEditor } from '../../../../common/scene-doc/editor';
import { messageOf } from '../../lib/bridge-error';
import { invoke, useStudioEvent } from '../../lib/queries';

/** A regeneration of the open scene: asked for (the dialog is open), or running as job `jobId`. */
export type Regeneration = { kind: 'asking'; turn?: number } | { kind: 'running'; jobId: JobId; what: string };

/** What became of a regeneration, for the message under the editor's bar. */
export interface RegenerationOutcome {
  /** The message; `shown` turns a stored revision number into the one the History shows. */
  text: (shown: (stored: number) => number) => string;
  failed: boolean;
}

/**
 * The open editor's side of regeneration. Lifecycle: `ask` opens the dialog, `started` marks the
 * job running, and the studio's events end it: `scenes/regenerated` for this scene (from this
 * window or another) brings the new revision in as one undoable step (`SceneEditor.adopt`), or says
 * it was kept as a proposal; `jobs/progressed` of our job failing, pausing or being cancelled says
 * why the scene is unchanged. A fast job may end before its start returns: outcomes are kept by job.
 */
export function useRegeneration(editor: SceneEditor | null, sceneId: SceneId | null) {
  const [regeneration, setRegeneration] = useState<Regeneration | null>(null);
  const [outcome, setOutcome] = useState<RegenerationOutcome | null>(null);
  const running = useRef<JobId | null>(null);
  const ended = useRef(new Map<JobId, RegenerationOutcome>());

  /** `onlyOurs`: report it only when it is the job this editor started. */
  const settle = useCallback((jobId: JobId, result: RegenerationOutcome, onlyOurs: boolean) => {
    ended.current.set(jobId, result);
    const ours = running.current === jobId;
    if (onlyOurs && !ours) return;
    if (ours) {
      running.current = null;
      setRegeneration(null);
    }
    setOutcome(result);
  }, []);

  const onRegenerated = useCallback(
    (event: Events['scenes/regenerated']) => {
      if (!editor || event.sceneId !== sceneId) return;
      // Either way the stored scene moved (the rewrite, or the change that made it a proposal):
      // take it in as one step, so undo still reaches what was here, unsaved edits included.
      void invoke('scenes/open', { id: event.sceneId }).then(
        (opened) => {
          if (opened.revision > editor.snapshot().baseRevision) editor.adopt(opened.doc, opened.revision);
          const text = (shown: (stored: number) => number) =>
            event.revision === null
              ? `The scene was changed elsewhere (now revision ${shown(opened.revision)}) while the rewrite was out, so the rewrite was kept as a proposal: compare and use it in History.`
              : `Rewritten by the LLM as revision ${shown(opened.revision)}. Undo (Ctrl+Z) brings back the previous text.`;
          settle(event.jobId, { text, failed: false }, false);
        },
        // The rewrite is stored, but this window could not read it back (the scene was deleted
        // meanwhile, the studio stopped): say so rather than leave the rewrite running for ever.
        (error: unknown) => {
          const text = `The rewrite ended, but the scene could not be read back: ${messageOf(error)} What you see is not the stored scene; close the editor and open it again.`;
          settle(event.jobId, { text: () => text, failed: true }, false);
        },
      );
    },
    [editor, sceneId, settle],
  );
  useStudioEvent('scenes/regenerated', onRegenerated);

  const onJob = useCallback(
    (job: Job) => {
      if (job.kind !== 'regenerate' || !['failed', 'paused', 'cancelled'].includes(job.status)) return;
      const reason = job.recentFailures[0]?.reason ?? job.message ?? 'see the job on Generate';
      const text = `The rewrite ${job.status}: ${reason}. The scene is unchanged; resume or retry it from the job on Generate.`;
      settle(job.id, { text: () => text, failed: true }, true);
    },
    [settle],
  );
  useStudioEvent('jobs/progressed', onJob);

  return {
    regeneration,
    outcome,
    ask: (turn?: number) => setRegeneration(turn === undefined ? { kind: 'asking' } : { kind: 'asking', turn }),
    /** The dialog closed without starting anything. */
    dismiss: () => setRegeneration((r) => (r?.kind === 'asking' ? null : r)),
    started: (job: RegenerateJob) => {
      const over = ended.current.get(job.id);
      setOutcome(over ?? null);
      if (over) {
        setRegeneration(null);
        return;
      }
      running.current = job.id;
      const what = job.settings.turn === null ? 'the experience' : `turn ${job.settings.turn + 1}`;
      setRegeneration({ kind: 'running', jobId: job.id, what });
    },
  };
}
