import type { Db } from '../../store/database';
import { EvalRepo } from '../../store/eval-repo';
import type { JobsRepo } from '../../store/jobs-repo';
import { JudgmentsRepo } from '../../store/judgments-repo';
import type { ProfilesRepo } from '../../store/profiles-repo';
import type { ChatRuntimes } from '../chat/chat-runtimes';
import type { CharacterService } from '../character-service';
import type { Clock, IdFactory } from '../clock';
import type { EventBus } from '../events';
import type { JobService } from '../jobs/job-service';
import type { ProviderService } from '../providers/provider-service';
import type { TrainingService } from '../training/training-service';
import type { EvalServices } from './eval-handlers';
import { InterviewService } from './interview-service';
import { JudgeService } from './judge-service';
import { ProfileText } from './profile-text';
import { QuestionGenerator } from './question-generator';
import { QuestionService } from './question-service';
import { SystemService } from './system-service';

/** What the evaluation services are built on: the studio's store, job engine and chat runtimes. */
export interface EvaluationDeps {
  db: Db;
  jobsRepo: JobsRepo;
  jobs: JobService;
  events: EventBus;
  characters: CharacterService;
  profiles: ProfilesRepo;
  providers: ProviderService;
  training: TrainingService;
  runtimes: ChatRuntimes;
  clock: Clock;
  newId: IdFactory;
}

/**
 * Question sets, systems, interviews and the judge (issue 12), on the job engine and the chat
 * runtimes; built once by the studio, which wires their commands.
 */
export function evaluationServices(d: EvaluationDeps): EvalServices & { judge: JudgeService } {
  const { db, jobsRepo, jobs, events, characters, providers, runtimes, clock, newId } = d;
  const repo = new EvalRepo(db);
  const profile = new ProfileText(d.profiles);
  const questions = new QuestionService(db, repo, (id) => characters.get(id), events, clock, newId);
  const systems = new SystemService(
    repo,
    characters,
    { run: (id) => d.training.get(id), provider: (id) => providers.get(id) },
    events,
    clock,
    newId,
  );
  const interviews = new InterviewService(
    db,
    repo,
    jobsRepo,
    characters,
    questions,
    systems,
    profile,
    {
      runtimeFor: (target, kind) => runtimes.runtimeFor(target, kind),
      provider: (id) => providers.get(id),
      providers: () => providers.list(),
      instanceFor: (id, model) => providers.instanceFor(id, model),
      isMetered: (provider) => providers.isMetered(provider),
      pricesFor: (provider) => providers.pricesFor(provider),
    },
    jobs,
    events,
    clock,
    newId,
  );
  const generator = new QuestionGenerator(characters, providers, jobsRepo, profile, questions, newId);
  // The judge reads what the interviews wrote, through the same profile text and setting.
  const judge = new JudgeService(
    db,
    jobsRepo,
    new JudgmentsRepo(db),
    repo,
    characters,
    profile,
    jobs,
    events,
    clock,
    newId,
    () => providers.list(),
  );
  return { questions, generator, systems, interviews, judge };
}
