import type { DatasetChartCommands, DatasetCommands } from '../../../common/contract';
import type { DatasetRepo } from '../../store/dataset-repo';
import type { DatasetSums } from '../../store/dataset-sums';
import type { SceneBrowserRepo } from '../../store/scene-browser-repo';
import type { CharacterService } from '../character-service';
import type { Handlers } from '../dispatch';
import { StudioFailure } from '../errors';
import { browsePage } from './browse';
import type { DatasetChartsService } from './charts-service';
import type { FilterCountsService } from './filter-counts-service';

/** The Dataset tab's reads (scene pages, facets, one scene, totals, charts), one line each (joined into the studio's handlers). */
export function datasetHandlers(s: {
  characters: CharacterService;
  dataset: DatasetRepo;
  browser: SceneBrowserRepo;
  filterCounts: FilterCountsService;
  sums: DatasetSums;
  charts: DatasetChartsService;
}): Pick<Handlers, keyof DatasetCommands | keyof DatasetChartCommands> {
  const { characters, dataset, browser, filterCounts, sums, charts } = s;
  return {
    'scenes/list': ({ characterId, limit, after, through, sort, ...filter }) => {
      characters.get(characterId); // an unknown character is not_found, not an empty page
      return browsePage(browser, characterId, { limit, after, through, sort, filter });
    },
    'scenes/facets': ({ characterId, filter }) => filterCounts.facets(characterId, filter),
    'scenes/get': ({ id }) => {
      const scene = dataset.scene(id);
      if (!scene) throw new StudioFailure('not_found', 'That scene no longer exists.');
      return scene;
    },
    'scenes/match': ({ key }) => dataset.matchIds(key),
    'dataset/stats': ({ characterId }) => {
      characters.get(characterId);
      return sums.stats(characterId);
    },
    'dataset/charts': ({ characterId }) => charts.charts(characterId),
    'dataset/compare': () => charts.compare(),
  };
}
