import type { CharacterId, ChatRuntimeKind, ChatTarget, ChatTargets, TrainingRun } from '../../../common/contract';
import { StudioFailure } from '../errors';
import type { ChatServiceDeps } from './chat-service';

/**
 * Whom a conversation with a character may talk to: the character's training runs, each with the
 * runtimes that can answer for it (chat-runtimes.ts), and the model of any configured provider as a
 * baseline. `check` is what a conversation's target passes when it is created or changed; it reads
 * the runs and providers as they are now, so a target that was valid may be refused later (a
 * deleted provider), with a message saying what to pick instead.
 */
export class ChatTargetCatalog {
  constructor(private readonly deps: Pick<ChatServiceDeps, 'characters' | 'runs' | 'providers' | 'runtimes'>) {}

  list(characterId: CharacterId): ChatTargets {
    this.deps.characters.get(characterId);
    return {
      runs: this.deps.runs.list(characterId).map((run) => ({
        runId: run.id,
        label: runLabel(run),
        runtimes: this.deps.runtimes.optionsForRun(run),
      })),
      baselines: this.deps.providers.list().map((p) => ({
        providerId: p.id,
        name: p.name,
        model: p.model || p.modelPath,
        inStudio: p.preset === 'embedded',
      })),
    };
  }

  check(characterId: CharacterId, target: ChatTarget, runtime: ChatRuntimeKind): void {
    if (target.kind === 'run') {
      const run = this.deps.runs.get(target.runId);
      if (run.characterId !== characterId)
        throw new StudioFailure(
          'invalid_argument',
          'That run trained another character: pick one of this character’s runs.',
        );
    } else {
      if (runtime !== 'endpoint')
        throw new StudioFailure(
          'invalid_argument',
          'A baseline model answers through its endpoint: pick the endpoint runtime.',
        );
      if (!this.deps.providers.list().some((p) => p.id === target.providerId))
        throw new StudioFailure(
          'not_found',
          'That provider no longer exists. Choose another one, or add it in Settings.',
        );
      if (target.model.trim() === '')
        throw new StudioFailure('invalid_argument', 'Name the model the baseline should use.');
    }
  }
}

function runLabel(run: TrainingRun): string {
  const when = new Date(run.createdAt).toISOString().slice(0, 16).replace('T', ' ');
  const format = run.config.format === 'character-llm' ? 'paper format' : 'chat template';
  return `${run.config.baseModel} · ${format} · ${when} (${run.status})`;
}
