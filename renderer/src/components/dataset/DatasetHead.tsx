import type { ReactNode } from 'react';
import type { Character, DatasetStats } from '../../../../common/contract';
import { useUi } from '../../state/ui';
import { summarizeProblems } from './FormatProblems';

const FORMATS_NAMED = "the paper's files, ShareGPT, OpenAI, Alpaca, Hugging Face";
const DATASET_IO = [
  { kind: 'import-dataset', label: 'Import dataset…', title: `Add scenes from a dataset file: ${FORMATS_NAMED}` },
  { kind: 'export-dataset', label: 'Export dataset…', title: `Write the dataset for other tools: ${FORMATS_NAMED}` },
] as const;

/** The top of the Dataset tab's side: the view switch, the totals, import, export and + New scene. */
export function DatasetHead({
  character,
  views,
  stats,
  onNewScene,
}: {
  character: Character;
  views: ReactNode;
  stats: DatasetStats | undefined;
  onNewScene: () => void;
}) {
  const openDialog = useUi((s) => s.open);
  return (
    <div className="dataset-head">
      {views}
      {stats && (
        <dl className="stats" aria-label="Dataset totals">
          <Stat label="Scenes" value={stats.scenes} />
          <Stat label="Protective" value={stats.protectiveScenes} />
          <Stat label="Experiences" value={stats.experiences} />
          <Stat label="Turns" value={stats.turns} />
          <Stat label="Words" value={stats.words} />
          {stats.experiencesWithProblems > 0 && (
            <Stat
              label="With problems"
              value={stats.experiencesWithProblems}
              title={`Experiences with parts that did not fit the format: ${summarizeProblems(stats.problems)}`}
            />
          )}
        </dl>
      )}
      <div className="dataset-io">
        {DATASET_IO.map((io) => (
          <button
            key={io.kind}
            className="small"
            onClick={() => openDialog({ kind: io.kind, characterId: character.id })}
            title={io.title}
          >
            {io.label}
          </button>
        ))}
        <button className="small" onClick={onNewScene} title="Write a scene by hand, without any LLM">
          + New scene
        </button>
      </div>
    </div>
  );
}

function Stat({ label, value, title }: { label: string; value: number; title?: string }) {
  return (
    <div title={title}>
      <dt>{label}</dt>
      <dd>{value.toLocaleString('en-US')}</dd>
    </div>
  );
}
