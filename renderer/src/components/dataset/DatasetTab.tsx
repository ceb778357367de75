import { useState } from 'react';
import type { Character } from '../../../../common/contract';
import { DatasetPanel } from './DatasetPanel';
import { StatisticsView } from './stats/StatisticsView';

type View = 'scenes' | 'statistics';

/** The Dataset tab: the scenes to browse and edit, or the dataset measured in charts. */
export function DatasetTab({ character }: { character: Character }) {
  const [view, setView] = useState<View>('scenes');
  const views = (
    <div className="segmented dataset-views" role="radiogroup" aria-label="Dataset view">
      {(
        [
          ['scenes', 'Scenes'],
          ['statistics', 'Statistics'],
        ] as const
      ).map(([id, label]) => (
        <button
          key={id}
          role="radio"
          aria-checked={view === id}
          className={view === id ? 'selected' : undefined}
          onClick={() => setView(id)}
        >
          {label}
        </button>
      ))}
    </div>
  );
  // Beside the scene list the switch sits above the totals, so the list starts right under the tabs.
  return view === 'scenes' ? (
    <DatasetPanel character={character} views={views} />
  ) : (
    <>
      {views}
      <StatisticsView character={character} />
    </>
  );
}
