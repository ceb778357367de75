import type { DiffSection, SceneDoc, SceneId, SceneRevision } from '../../../common/contract';
import { revisionNumbering } from '../../../common/scene-doc/revision-numbers';
import { StudioFailure } from '../../core/errors';
import { Declined, readInput, str, UsageError, when, type CliContext } from '../shared';

/**
 * `scenes edit`: the editor's Save in a terminal, with its answer to a conflict. A file from
 * `scenes show --json` is saved against the revision it was shown at; when someone saved the
 * scene meanwhile (another window, terminal or a job), nothing is overwritten: their changes are
 * shown, and the person chooses as the editor offers: keep mine (saved over theirs, which stays
 * in the history), take theirs (mine is not saved), or save mine as a new scene (a duplicate).
 */

export const CONFLICT_CHOICES = ['mine', 'theirs', 'new'] as const;
export type ConflictChoice = (typeof CONFLICT_CHOICES)[number];

/** `--on-conflict`: what a conflict does without asking; undefined asks on a terminal. */
export function conflictOption(ctx: CliContext): ConflictChoice | undefined {
  const text = str(ctx.values, 'on-conflict');
  if (text === undefined) return undefined;
  const choice = CONFLICT_CHOICES.find((c) => c === text.trim().toLowerCase());
  if (!choice)
    throw new UsageError(
      `--on-conflict takes mine (save yours over theirs), theirs (keep theirs, save nothing) or new (save yours as a new scene), not "${text}".`,
    );
  return choice;
}

/** A word diff as text: removals as [-words-], additions as {+words+} (git's --word-diff style). */
export function showDiff(sections: readonly DiffSection[]): string {
  const changed = sections.filter((s) => s.changed);
  if (changed.length === 0) return 'The two revisions are the same.';
  return changed
    .map((s) => {
      // Marked a line at a time, so a whole turn added or removed reads as one marked line.
      const mark = (text: string, open: string, close: string) =>
        text
          .split('\n')
          .map((line) => (line === '' ? line : `${open}${line}${close}`))
          .join('\n');
      const text = s.parts
        .map((p) =>
          p.change === 'added' ? mark(p.text, '{+', '+}') : p.change === 'removed' ? mark(p.text, '[-', '-]') : p.text,
        )
        .join('');
      return `${s.label}:\n${text}`;
    })
    .join('\n\n');
}

/**
 * The scene of `scenes create|edit`'s file: a bare scene document, or what `scenes show --json`
 * prints (its `doc`, and the `revision` it was at, which `edit` saves against).
 */
export async function readSceneFile(file: string, ctx: CliContext): Promise<{ doc: SceneDoc; revision?: number }> {
  const bytes = await readInput(file, ctx.io);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new UsageError(
      `${file} is not JSON (${error instanceof Error ? error.message : String(error)}): write the scene as ` +
        '{"type", "location", "time", "background", "people": [], "experienceBackground", "turns": [{"speaker", "kind", "text"}]}, ' +
        'or edit what scenes show <scene> --json prints.',
    );
  }
  if (typeof parsed === 'object' && parsed !== null && 'doc' in parsed) {
    const shown = parsed as { doc: SceneDoc; revision?: unknown };
    return { doc: shown.doc, ...(typeof shown.revision === 'number' && { revision: shown.revision }) };
  }
  return { doc: parsed as SceneDoc };
}

/**
 * `scenes edit <scene> <file.json|-> [--on-conflict mine|theirs|new]`. A bare document is saved
 * against the current revision. On a conflict, their changes go to stderr, then `--on-conflict`
 * decides, else the terminal's answer; without either, nothing is saved (exit 1) and the message
 * names the flag.
 */
export async function editScene(ctx: CliContext, id: SceneId, file: string): Promise<number> {
  const choice = conflictOption(ctx);
  const { doc, revision } = await readSceneFile(file, ctx);
  const baseRevision = revision ?? (await ctx.call('scenes/open', { id })).revision;
  try {
    return await saved(ctx, id, await ctx.call('scenes/save', { id, baseRevision, doc }));
  } catch (error) {
    if (!(error instanceof StudioFailure && error.code === 'conflict')) throw error;
  }
  return resolveConflict(ctx, id, doc, baseRevision, choice);
}

async function saved(
  ctx: CliContext,
  id: SceneId,
  result: { revision: number },
  human?: (shown: number) => string,
): Promise<number> {
  const shown = revisionNumbering(await ctx.call('scenes/revisions', { id }))(result.revision);
  ctx.print({ ...result, revisionNumber: shown }, () =>
    human ? human(shown) : `Saved scene ${id} as revision ${shown}.`,
  );
  return 0;
}

const BY: Record<SceneRevision['author'], string> = {
  user: 'by hand in another window or terminal',
  llm: 'by the LLM (a regeneration)',
  generated: 'by a generation run',
  import: 'by an import',
};

async function resolveConflict(
  ctx: CliContext,
  id: SceneId,
  mine: SceneDoc,
  baseRevision: number,
  given: ConflictChoice | undefined,
): Promise<number> {
  const { call, io } = ctx;
  const revisions = await call('scenes/revisions', { id });
  const shown = revisionNumbering(revisions);
  const theirs = await call('scenes/open', { id });
  const made = revisions.find((r) => r.revision === theirs.revision);
  const by = made ? BY[made.author] : 'by a generation run, which wrote its experience';
  const at = made ? ` at ${when(made.createdAt)} UTC` : '';
  const headline = `Scene ${id} changed since that file was shown (revision ${shown(baseRevision)}, now ${shown(theirs.revision)}, saved ${by}${at}). Nothing was overwritten.`;
  io.err(headline);
  try {
    const diff = await call('scenes/diff', { id, from: baseRevision, to: 'current' });
    io.err(`Their changes (revision ${shown(baseRevision)} → ${shown(theirs.revision)}):\n${showDiff(diff.sections)}`);
  } catch (error) {
    // The file's revision is not one stored (an experience that arrived is no revision of its own): compare with yours instead.
    if (!(error instanceof StudioFailure && error.code === 'not_found')) throw error;
    const diff = await call('scenes/diff', { id, from: 'current', to: { doc: mine, basedOn: baseRevision } });
    io.err(`What yours would change in revision ${shown(theirs.revision)}:\n${showDiff(diff.sections)}`);
  }
  const choice = given ?? (await askChoice(ctx, id, shown(theirs.revision)));
  const number = shown(theirs.revision);
  if (choice === 'theirs') {
    ctx.print(
      { kept: 'theirs', revision: theirs.revision, revisionNumber: number },
      () => `Kept their revision ${number}; yours was not saved (it is still in your file).`,
    );
    return 0;
  }
  if (choice === 'new') {
    const copy = await call('scenes/duplicate', { id, doc: mine });
    ctx.print(
      { ...copy, copiedFrom: id },
      () =>
        `Saved yours as a new scene ${copy.id} (by hand, with ${id}'s chunk, limit and tags); ${id} keeps their revision ${number}.`,
    );
    return 0;
  }
  return saved(
    ctx,
    id,
    await call('scenes/save', { id, baseRevision: theirs.revision, doc: mine }),
    (n) => `Saved scene ${id} as revision ${n}, yours over theirs (revision ${number} stays in scenes history).`,
  );
}

/** The terminal's answer to a conflict; without a terminal, the refusal that names `--on-conflict`. */
async function askChoice(ctx: CliContext, id: SceneId, theirs: number): Promise<ConflictChoice> {
  if (!ctx.io.ask)
    throw new StudioFailure(
      'conflict',
      `Nothing was saved. Choose with --on-conflict: mine (save yours over revision ${theirs}, which stays in the history), ` +
        `theirs (keep revision ${theirs}, save nothing) or new (save yours as a new scene). ` +
        `Or run character-studio scenes show ${id} --json again, make your change in what it prints, and save that.`,
    );
  const answer = (
    await ctx.io.ask(
      `Keep mine (m: saved over revision ${theirs}, which stays in the history), take theirs (t), save mine as a new scene (n), or leave it (Enter)? `,
    )
  )
    .trim()
    .toLowerCase();
  if (answer === '') throw new Declined('Nothing was saved; the scene keeps their revision.');
  const choice = CONFLICT_CHOICES.find((c) => answer === c || answer === c[0]);
  if (!choice) throw new Declined(`Nothing was saved: "${answer}" is none of m (mine), t (theirs) and n (new scene).`);
  return choice;
}
