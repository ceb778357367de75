import type { CharacterId, TrainingConfig, TrainingEstimate } from '../../../common/contract';
import type { DatasetRepo } from '../../store/dataset-repo';
import type { DatasetSums } from '../../store/dataset-sums';
import type { TrainingRepo } from '../../store/training-repo';
import type { CharacterService } from '../character-service';
import { exportNotices } from '../trainer/dataset-export';
import { estimateTraining } from './estimate';
import type { RemoteHosts } from './host-service';
import type { LocalPython } from './local-python';
import { checkTrainingConfig, readStoredConfig } from './run-config';

/**
 * What a run would take before it starts (`training/estimate`): its examples and tokens from the
 * figures stored with each scene, the machine it would train on (the local Python's doctor report or
 * a host's), and the speeds earlier runs measured; with what the dataset export will leave out.
 */
export class RunEstimates {
  constructor(
    private readonly repo: TrainingRepo,
    private readonly dataset: DatasetRepo,
    private readonly characters: CharacterService,
    private readonly python: LocalPython,
    /** SSH hosts; without it only `target: 'local'` is accepted. */
    private readonly remote: RemoteHosts | null,
    /** Sums for the estimate, read off this thread when the studio has a reader. */
    private readonly sums: DatasetSums | null,
  ) {}

  async estimate(characterId: CharacterId, config: TrainingConfig): Promise<TrainingEstimate> {
    this.characters.get(characterId);
    checkTrainingConfig(config, this.remote);
    // From the figures stored with each scene (scene-figures.ts): no scene is read or rendered here,
    // and the sum over them runs on the reader thread.
    const figures = await (this.sums?.training(characterId) ?? this.dataset.trainingFigures(characterId));
    const character = this.characters.get(characterId);
    // About 4 characters a token in English prose.
    const meanTokens = figures.examples === 0 ? 0 : Math.round(figures.trainChars / figures.examples / 4);
    const machine =
      config.target === 'local'
        ? { gpuCount: 1, environment: this.python.reportOf(config.python) }
        : (this.remote?.machineOf(config.target) ?? { gpuCount: 1, environment: null });
    const measured = this.repo.measuredSpeeds().map((row) => ({
      config: readStoredConfig(row.config),
      tokensPerSecond: row.tokens_per_s,
      at: row.updated_at,
    }));
    const estimate = estimateTraining(
      { examples: figures.examples, meanTokens },
      config,
      machine.environment,
      machine.gpuCount,
      measured,
    );
    // What the export will do to turns that do not fit the method, said before the run starts.
    if (character.fullName.trim() && character.shortName.trim())
      estimate.warnings.push(
        ...exportNotices({
          otherThinkingLeftOut: figures.otherThinking,
          scenesWithOtherThinking: figures.scenesWithOtherThinking,
        }),
      );
    return estimate;
  }
}
