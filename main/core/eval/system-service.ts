import type {
  CharacterId,
  ChatSamplingSettings,
  EvalAnswerer,
  EvalSystem,
  EvalSystemId,
  EvalSystemRequest,
  Provider,
  ProviderId,
  RunId,
  TrainingRun,
} from '../../../common/contract';
import { importedSystem, type EvalRepo } from '../../store/eval-repo';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { DEFAULT_CHAT_SAMPLING } from '../runtimes/chat-runtime';
import { ROLEPLAY_PROMPT_VERSION } from './eval-prompts';

/** What the system service reads of runs and providers. */
export interface SystemDeps {
  run(id: RunId): TrainingRun;
  provider(id: ProviderId): Provider;
}

/**
 * The systems interviews are put to: a trained run (embedded, `serve` or an endpoint), a base model,
 * a prompted baseline, or answers imported from a file. A system is stored once and named, so a
 * report lines up every interview it gave whatever job ran it.
 */
export class SystemService {
  constructor(
    private readonly repo: EvalRepo,
    private readonly characters: CharacterService,
    private readonly deps: SystemDeps,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {}

  list(characterId: CharacterId): EvalSystem[] {
    this.characters.get(characterId);
    return this.repo.systems(characterId);
  }

  get(id: EvalSystemId): EvalSystem {
    const system = this.repo.system(id);
    if (!system) throw new StudioFailure('not_found', 'That evaluation system no longer exists.');
    return system;
  }

  create(request: EvalSystemRequest): EvalSystem {
    const character = this.characters.get(request.characterId);
    const id = this.newId() as EvalSystemId;
    const now = this.clock.now();
    if (request.kind === 'imported') {
      const label = this.checkLabel(character.id, request.label);
      this.repo.insertSystem(importedSystem(id, character.id, label, request.source), now);
    } else {
      const answerer = this.checkAnswerer(character.id, request.kind, request.answerer);
      const sampling: ChatSamplingSettings = { ...DEFAULT_CHAT_SAMPLING, ...request.sampling };
      const label = this.checkLabel(character.id, request.label ?? this.defaultLabel(request.kind, answerer));
      this.repo.insertSystem(
        {
          id,
          characterId: character.id,
          kind: request.kind,
          label,
          answerer,
          sampling,
          promptVersion: request.kind === 'prompted' ? ROLEPLAY_PROMPT_VERSION : null,
          source: null,
        },
        now,
      );
    }
    this.events.emit('eval/systems/changed', { characterId: character.id });
    return this.get(id);
  }

  archive(id: EvalSystemId): EvalSystem {
    const system = this.get(id);
    this.repo.archiveSystem(id, this.clock.now());
    this.events.emit('eval/systems/changed', { characterId: system.characterId });
    return this.get(id);
  }

  private checkAnswerer(characterId: CharacterId, kind: EvalSystem['kind'], answerer: EvalAnswerer): EvalAnswerer {
    if (answerer.runtime !== 'endpoint') {
      if (kind !== 'run')
        throw new StudioFailure(
          'invalid_argument',
          `A ${kind} system answers through an endpoint (a provider and its model); the ${answerer.runtime} runtime is for trained runs.`,
        );
      this.checkRun(characterId, answerer.runId);
      return { runtime: answerer.runtime, runId: answerer.runId };
    }
    const provider = this.deps.provider(answerer.providerId);
    const model = answerer.model.trim() || provider.model;
    if (model === '')
      throw new StudioFailure('invalid_argument', `Name the model ${provider.name} should answer with.`);
    if (kind === 'run' && !answerer.runId)
      throw new StudioFailure(
        'invalid_argument',
        'Say which run this endpoint serves, or make it a base or prompted system instead.',
      );
    if (answerer.runId) this.checkRun(characterId, answerer.runId);
    return { runtime: 'endpoint', providerId: provider.id, model, runId: kind === 'run' ? answerer.runId : null };
  }

  private checkRun(characterId: CharacterId, runId: RunId): void {
    const run = this.deps.run(runId);
    if (run.characterId !== characterId)
      throw new StudioFailure('invalid_argument', 'That training run belongs to another character.');
  }

  private defaultLabel(kind: EvalSystem['kind'], answerer: EvalAnswerer): string {
    if (answerer.runtime !== 'endpoint') {
      const run = this.deps.run(answerer.runId);
      const when = new Date(run.createdAt).toISOString().slice(0, 16).replace('T', ' ');
      return `Run ${when} (${answerer.runtime})`;
    }
    return kind === 'run' ? `Run on ${answerer.model}` : `${answerer.model} (${kind})`;
  }

  private checkLabel(characterId: CharacterId, raw: string): string {
    const label = raw.trim().replace(/\s+/g, ' ');
    if (label === '') throw new StudioFailure('invalid_argument', 'Give the system a name.');
    if (label.length > 120)
      throw new StudioFailure('invalid_argument', `The name is ${label.length} characters; keep it under 120.`);
    if (this.repo.systemByLabel(characterId, label))
      throw new StudioFailure('conflict', `A system named "${label}" exists already; choose another name.`);
    return label;
  }
}
