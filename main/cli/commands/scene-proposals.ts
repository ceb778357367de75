import { revisionNumbering } from '../../../common/scene-doc/revision-numbers';
import type { SceneId, SceneProposal } from '../../../common/contract';
import { UsageError, type CliContext } from '../shared';

/**
 * A scene's proposals at the command line: LLM rewrites kept aside because the scene was saved
 * while their call was out (the History's Proposals). `scenes proposals` lists them, newest first,
 * numbered from 1 as listed; `scenes diff <scene> --proposal <n>` shows what one would change in the
 * current text; `scenes adopt <scene> [--proposal <n>]` makes it the next revision (the only one
 * waiting when none is named).
 */
export async function proposalsCommand(ctx: CliContext, id: SceneId): Promise<number> {
  const { call, print } = ctx;
  const proposals = await call('scenes/proposals', { id });
  const shown = revisionNumbering(await call('scenes/revisions', { id }));
  print(
    proposals.map((p, i) => ({
      ...p,
      number: i + 1,
      adoptedAsNumber: p.adoptedAs === null ? null : shown(p.adoptedAs),
    })),
    () =>
      proposals.length === 0
        ? `Scene ${id} has no proposals: every rewrite became a revision (see scenes history).`
        : proposals
            .map((p, i) => {
              const what = p.turn === null ? 'the experience' : `turn ${p.turn + 1}`;
              const state = p.adoptedAs === null ? 'waiting' : `adopted as revision ${shown(p.adoptedAs)}`;
              return `${i + 1}  ${new Date(p.createdAt).toISOString()}  ${state}  rewrite of ${what} ("${p.instruction}") from revision ${shown(p.baseRevision)}${p.callId ? ` · call ${p.callId}` : ''}`;
            })
            .join('\n'),
  );
  return 0;
}

/** `--proposal <n>` (as `scenes proposals` numbers them), or the one waiting when it is not given. */
export async function chosenProposal(ctx: CliContext, id: SceneId, text: string | undefined): Promise<SceneProposal> {
  const proposals = await ctx.call('scenes/proposals', { id });
  if (text !== undefined) {
    const n = Number(text);
    const found = Number.isInteger(n) ? proposals[n - 1] : undefined;
    if (!found) {
      throw new UsageError(
        proposals.length === 0
          ? `Scene ${id} has no proposals.`
          : `--proposal ${text}: scene ${id} has proposals 1 to ${proposals.length} (see scenes proposals).`,
      );
    }
    return found;
  }
  const waiting = proposals.filter((p) => p.adoptedAs === null);
  if (waiting.length === 1) return waiting[0]!;
  throw new UsageError(
    waiting.length === 0
      ? `Scene ${id} has no proposal waiting (see scenes proposals).`
      : `Scene ${id} has ${waiting.length} proposals waiting: say which with --proposal <n> (see scenes proposals).`,
  );
}

/** `scenes adopt <scene> [--proposal <n>]`: the proposal becomes the scene's next revision. */
export async function adoptCommand(ctx: CliContext, id: SceneId, proposalText: string | undefined): Promise<number> {
  const { call, print } = ctx;
  const proposal = await chosenProposal(ctx, id, proposalText);
  if (proposal.adoptedAs !== null) {
    throw new UsageError(
      `That proposal is already revision ${revisionNumbering(await call('scenes/revisions', { id }))(proposal.adoptedAs)}; scenes restore makes an earlier revision current again.`,
    );
  }
  const { revision } = await call('scenes/open', { id });
  const adopted = await call('scenes/adopt', { id, proposalId: proposal.id, baseRevision: revision });
  const shown = revisionNumbering(await call('scenes/revisions', { id }));
  print(
    { ...adopted, revisionNumber: shown(adopted.revision) },
    () => `Adopted the proposal ("${proposal.instruction}") as revision ${shown(adopted.revision)}.`,
  );
  return 0;
}
