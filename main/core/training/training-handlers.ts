import type { HostCommands, TrainingCommands } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { HostService } from './host-service';
import type { TrainingPreviewService } from './preview-service';
import type { TrainingService } from './training-service';

/** Training runs (local or on an SSH host), their export and serving, and the SSH hosts, one line each (joined into the studio's handlers). */
export function trainingHandlers(
  training: TrainingService,
  previews: TrainingPreviewService,
  hosts: HostService,
): Pick<Handlers, keyof TrainingCommands | keyof HostCommands> {
  return {
    'hosts/list': () => hosts.list(),
    'hosts/save': (draft) => hosts.save(draft),
    'hosts/delete': ({ id, force }) => hosts.delete(id, force),
    'hosts/test': ({ id }) => hosts.test(id),
    'hosts/trust': ({ id, fingerprint }) => hosts.trust(id, fingerprint),
    'training/options': () => training.baseModels(),
    'training/doctor': ({ python }) => training.doctor(python),
    'training/setup': ({ basePython }) => training.setupPython(basePython),
    'training/estimate': ({ characterId, config }) => training.estimate(characterId, config),
    'training/start': ({ characterId, config }) => training.start(characterId, config),
    'training/list': ({ characterId }) => training.list(characterId),
    'training/get': ({ id }) => training.get(id),
    'training/match': ({ key }) => training.match(key),
    'training/stop': ({ id }) => training.stop(id),
    'training/resume': ({ id }) => training.resume(id),
    'training/cancel': ({ id }) => training.cancel(id),
    'training/log': ({ runId, afterSeq, limit }) => training.log(runId, afterSeq ?? null, limit),
    'training/export': ({ id, merged, gguf, ollamaName }) =>
      training.export(id, { merged, gguf, ...(ollamaName && { ollamaName }) }),
    'training/check-model': ({ baseModel, target }) => ({ problem: training.baseModelProblem(baseModel, target) }),
    'training/serve': ({ id, others }) => training.serve(id, others ?? 'keep'),
    'training/served': () => training.served(),
    'training/export-cancel': ({ id }) => training.cancelExport(id),
    'training/prepare-chat': ({ id }) => training.prepareChat(id),
    'training/serve-stop': ({ id }) => training.stopServing(id),
    'training/preview': (request) => previews.preview(request),
    'training/cached-models': () => previews.cachedModels(),
  };
}
