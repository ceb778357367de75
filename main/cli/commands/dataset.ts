import type { Scene } from '../../../common/contract';
import { argument, findCharacter, type CliContext } from '../shared';
import { chartsText, compareText } from './dataset-charts-text';
import { waitingScenesCommand } from './review';
import { unknownSubcommand } from '../command-hints';

/** Scenes fetched a page at a time when listing problems (the command's page limit is 500). */
const PAGE = 500;

/**
 * `dataset stats|problems|complete|delete <character>` and `dataset compare`: the Dataset tab's
 * totals and charts, its "Problems" filter, waiting scenes, and every character side by side.
 */
export async function datasetCommand(sub: string, ctx: CliContext): Promise<number> {
  if (sub === 'complete' || sub === 'delete') return waitingScenesCommand(sub, ctx);
  const { call, rest, print } = ctx;
  if (sub === 'compare') {
    const compared = await call('dataset/compare', {});
    print(compared, () =>
      compared.characters.length === 0
        ? 'No characters yet. Create one: character-studio characters create "<full name>"'
        : compareText(compared.characters, compared.paper),
    );
    return 0;
  }
  const character = await findCharacter(call, argument(rest, 1, '<character>', `dataset ${sub}`));
  switch (sub) {
    case 'stats': {
      const stats = await call('dataset/stats', { characterId: character.id });
      const charts = await call('dataset/charts', { characterId: character.id });
      const byCode = Object.entries(stats.problems).map(([code, n]) => `${code} ${n}`);
      print({ ...stats, charts }, () =>
        [
          `${character.fullName}: ${stats.scenes} scenes (${stats.protectiveScenes} protective), ${stats.experiences} experiences, ${stats.turns} turns, ${stats.words} words.`,
          stats.experiencesWithProblems === 0
            ? 'Every experience fits the format.'
            : `${stats.experiencesWithProblems} experiences have parts that did not fit the format: ${byCode.join(', ')}. See: character-studio dataset problems ${character.shortName}`,
          ...(stats.scenes === 0 ? [] : ['', chartsText(charts)]),
        ].join('\n'),
      );
      return 0;
    }
    case 'problems': {
      // The list carries counts only; each scene with problems is read whole for their messages.
      const scenes: Scene[] = [];
      for (let after: string | undefined; ;) {
        const page = await call('scenes/list', {
          characterId: character.id,
          limit: PAGE,
          problems: true,
          ...(after !== undefined && { after }),
        });
        for (const summary of page.scenes) scenes.push(await call('scenes/get', { id: summary.id }));
        if (page.next === null) break;
        after = page.next;
      }
      print(scenes, () =>
        scenes.length === 0
          ? `No experience of ${character.fullName} has format problems.`
          : scenes
              .map((scene) =>
                [
                  `${scene.type} · ${scene.location}  [${scene.id}]`,
                  ...(scene.experience?.problems ?? []).map(
                    (p) => `  ${p.code}${p.turn === null ? '' : ` (turn ${p.turn + 1})`}: ${p.message}`,
                  ),
                ].join('\n'),
              )
              .join('\n'),
      );
      return 0;
    }
    default:
      throw unknownSubcommand('dataset', sub);
  }
}
