import type { Character } from '../../../../common/contract';
import { useTrainingOptions, useTrainingRuns } from '../../lib/queries';
import { NewTrainingRun } from './NewTrainingRun';
import { RunsSection } from './RunsSection';
import '../../generation.css';
import '../../training.css';
import '../../training-run.css';

/** The Train tab (experience upload): the character's training runs, then a new run's settings. */
export function TrainingPanel({ character }: { character: Character }) {
  const options = useTrainingOptions();
  const runs = useTrainingRuns(character.id);

  if (options.isError) return <p className="form-error">{options.error.message}</p>;
  if (runs.isError) return <p className="form-error">{runs.error.message}</p>;
  if (options.isPending || runs.isPending) return <p className="muted">Loading…</p>;

  return (
    <div className="training">
      <RunsSection runs={runs.data} baseModels={options.data.baseModels} />
      <NewTrainingRun character={character} options={options.data} runs={runs.data} />
    </div>
  );
}
