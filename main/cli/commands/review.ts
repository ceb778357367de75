import type { ReviewChange, ReviewCounts, SceneId } from '../../../common/contract';
import { StudioFailure } from '../../core/errors';
import { argument, confirmDelete, findCharacter, findProvider, str, UsageError, type CliContext } from '../shared';
import { sceneName, scenesNamed } from './scenes';
import { followJob } from './generate';
import { filterOptions, ratingOf, STATUSES } from './scene-filter-options';

/**
 * `review <character>`: with --accept, --reject, --unreview, --rate, --tag or --untag, changes the
 * scenes named by --ids or every scene of the filter options (--all for the whole dataset), as one
 * action `--undo` takes back; with none of them, prints the counts per status, rating and tag.
 */
export async function reviewCommand(ctx: CliContext): Promise<number> {
  const { call, rest, values, print } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', 'review'));
  const characterId = character.id;
  if (values.undo) {
    const undone = await call('review/undo', { characterId });
    print(undone, () => `Undone: ${undone.summary}.`);
    return 0;
  }
  const filter = filterOptions(ctx);
  const change = changeOptions(ctx);
  if (Object.keys(change).length === 0) {
    const counts = await call('review/counts', { characterId, filter });
    print(counts, () => describeCounts(counts));
    return 0;
  }
  const ids = idsOption(ctx);
  if (ids && Object.keys(filter).length > 0)
    throw new UsageError('Give --ids or filter options (--status, --rating, --with-tag…), not both.');
  if (!ids && Object.keys(filter).length === 0 && !values.all)
    throw new UsageError('Say which scenes: --ids a,b, filter options (--status, --rating, --with-tag…), or --all.');
  const action = await call('review/set', { characterId, ...(ids ? { ids } : { filter }), ...change });
  print(action, () => `${action.summary}. Undo with: character-studio review ${character.shortName} --undo`);
  return 0;
}

/** `dataset complete <character> --provider P` and `dataset delete <character> --ids a,b [--yes]` (asks first). */
export async function waitingScenesCommand(sub: 'complete' | 'delete', ctx: CliContext): Promise<number> {
  const { call, rest, values, print, io } = ctx;
  const character = await findCharacter(call, argument(rest, 1, '<character>', `dataset ${sub}`));
  if (sub === 'delete') {
    const ids = idsOption(ctx);
    if (!ids) throw new UsageError('Name the scenes to delete: --ids a,b (ids as dataset lists them).');
    const named: { id: SceneId; name: string }[] = [];
    for (const id of ids) {
      const { scene, doc } = await call('scenes/open', { id });
      if (scene.characterId !== character.id)
        throw new StudioFailure('invalid_argument', `Scene ${id} is not ${character.fullName}'s: nothing was deleted.`);
      named.push({ id, name: sceneName(doc) });
    }
    await confirmDelete(ctx, `${character.fullName}'s ${scenesNamed(named)}`);
    const result = await call('scenes/delete', { characterId: character.id, ids });
    print(result, () => `Deleted ${result.deleted} scene${result.deleted === 1 ? '' : 's'}.`);
    return 0;
  }
  const providerKey = str(values, 'provider');
  if (!providerKey) throw new UsageError('Choose the provider that writes the experiences: --provider <provider>.');
  const provider = await findProvider(call, providerKey);
  const job = await call('scenes/complete', { characterId: character.id, providerId: provider.id });
  io.err(`Writing the experiences of the scenes waiting for one (job ${job.id}).`);
  return followJob(ctx, job.id);
}

export function idsOption(ctx: CliContext): SceneId[] | undefined {
  const text = str(ctx.values, 'ids');
  if (text === undefined) return undefined;
  const ids = text
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new UsageError('--ids needs scene ids separated by commas.');
  return ids as SceneId[];
}

function changeOptions({ values }: CliContext): ReviewChange {
  const chosen = (['accept', 'reject', 'unreview'] as const).filter((flag) => values[flag]);
  if (chosen.length > 1) throw new UsageError('Choose one of --accept, --reject and --unreview.');
  const change: ReviewChange = {};
  if (chosen[0])
    change.status = ({ accept: 'accepted', reject: 'rejected', unreview: 'unreviewed' } as const)[chosen[0]];
  const rate = str(values, 'rate');
  if (rate !== undefined) change.rating = ratingOf(rate, '--rate');
  const tag = str(values, 'tag');
  if (tag !== undefined) change.addTags = [tag];
  const untag = str(values, 'untag');
  if (untag !== undefined) change.removeTags = [untag];
  return change;
}

function describeCounts(counts: ReviewCounts): string {
  const ratings = (['5', '4', '3', '2', '1', 'none'] as const).map(
    (r) => `${r === 'none' ? 'not rated' : `${r}★`} ${counts.ratings[r]}`,
  );
  return [
    `${counts.total.toLocaleString('en-US')} scenes: ${STATUSES.map((s) => `${s} ${counts.status[s]}`).join(', ')}.`,
    `Ratings: ${ratings.join(', ')}.`,
    counts.tags.length === 0 ? 'No tags.' : `Tags: ${counts.tags.map((t) => `${t.tag} ${t.count}`).join(', ')}.`,
    ...(counts.waiting > 0 ? [`${counts.waiting} waiting for their experience (dataset complete|delete).`] : []),
  ].join('\n');
}
