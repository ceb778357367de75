/**
 * Undo/redo over `SceneOp`s. Each step keeps the operations that redo it and the inverses that undo
 * it, newest last. Typing into one field or one turn within `groupMs` is one step, as in any editor.
 */

import { applyOp, typingTarget, type SceneDoc, type SceneOp } from './operations';

interface Step {
  redo: SceneOp[];
  /** Applied in order to undo the step (inverses of `redo`, last first). */
  undo: SceneOp[];
  target: string | null;
  /** When the step was last extended (ms, the caller's clock). */
  at: number;
}

export class SceneHistory {
  private past: Step[] = [];
  private future: Step[] = [];

  /** `limit`: steps kept to undo (the oldest fall off); `groupMs`: the pause that ends a typing step. */
  constructor(
    private readonly limit = 500,
    private readonly groupMs = 1000,
  ) {}

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  /** Applies `op` to `doc` and records it; throws `SceneOpError` (nothing recorded) when it does not fit. */
  apply(doc: SceneDoc, op: SceneOp, now: number): SceneDoc {
    const { doc: next, inverse } = applyOp(doc, op);
    const target = typingTarget(op);
    const last = this.past.at(-1);
    if (target !== null && last && last.target === target && now - last.at <= this.groupMs) {
      // The step's inverse already restores the value before the typing began; only redo moves on.
      last.redo = [op];
      last.at = now;
    } else {
      this.past.push({ redo: [op], undo: [inverse], target, at: now });
      if (this.past.length > this.limit) this.past.shift();
    }
    this.future = [];
    return next;
  }

  /** Ends the current typing step, so the next keystroke starts a new one (on blur, before a save). */
  seal(): void {
    const last = this.past.at(-1);
    if (last) last.target = null;
  }

  undo(doc: SceneDoc): SceneDoc {
    const step = this.past.pop();
    if (!step) return doc;
    this.future.push(step);
    return step.undo.reduce((d, op) => applyOp(d, op).doc, doc);
  }

  redo(doc: SceneDoc): SceneDoc {
    const step = this.future.pop();
    if (!step) return doc;
    step.target = null;
    this.past.push(step);
    return step.redo.reduce((d, op) => applyOp(d, op).doc, doc);
  }

  clear(): void {
    this.past = [];
    this.future = [];
  }
}
