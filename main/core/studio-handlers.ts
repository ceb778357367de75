import type { AppInfo, CallId, DatabaseCheck } from '../../common/contract';
import { characterHandlers } from './character-handlers';
import { chatHandlers } from './chat/chat-handlers';
import { datasetHandlers } from './dataset/dataset-handlers';
import { sceneHandlers } from './dataset/scene-handlers';
import type { Handlers } from './dispatch';
import { evalHandlers } from './eval/eval-handlers';
import { judgeHandlers } from './eval/judge-handlers';
import { evalReportHandlers } from './eval/report-handlers';
import { interopHandlers } from './interop/interop-handlers';
import { llmCalls } from './jobs/call-log';
import { jobHandlers } from './jobs/job-handlers';
import { modelHandlers } from './models/model-handlers';
import { onboardingHandlers } from './onboarding/onboarding-handlers';
import { generationHandlers } from './pipeline/generation-handlers';
import { providerHandlers } from './providers/provider-handlers';
import type { StudioServices } from './studio-services';
import { trainingHandlers } from './training/training-handlers';

/**
 * The whole contract's handlers: the studio's own two (`app`) and one line per area, each area's
 * commands wired in its own `*-handlers.ts`.
 */
export function studioHandlers(
  s: StudioServices,
  app: { info: () => AppInfo; checkDatabase: () => Promise<DatabaseCheck> },
): Handlers {
  const calls = (id: CallId) => llmCalls(s.jobsRepo.callRecords, id);
  return {
    'app/info': () => app.info(),
    'app/check-database': () => app.checkDatabase(),
    ...characterHandlers(s),
    ...providerHandlers(s.providers),
    ...generationHandlers({ generation: s.generation, prompts: s.prompts, limits: s.limits, calls }),
    ...jobHandlers(s.jobs, s.characters),
    ...datasetHandlers(s),
    ...sceneHandlers(s),
    ...interopHandlers(s.exporter, s.importer, s.ioRequests),
    ...trainingHandlers(s.training, s.previews, s.hosts),
    ...chatHandlers(s.chat),
    ...evalHandlers(s.evaluation),
    ...judgeHandlers(s.evaluation.judge, s.reports),
    ...evalReportHandlers(s.reports, s.outputs),
    ...onboardingHandlers(s.appearance, s.samples),
    ...modelHandlers(s.models),
  } satisfies Handlers;
}
