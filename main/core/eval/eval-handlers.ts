import type { EvalCommands } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { InterviewService } from './interview-service';
import type { QuestionGenerator } from './question-generator';
import type { QuestionService } from './question-service';
import type { SystemService } from './system-service';

export interface EvalServices {
  questions: QuestionService;
  generator: QuestionGenerator;
  systems: SystemService;
  interviews: InterviewService;
}

/** The evaluation commands, one line each (joined into the studio's handlers). */
export function evalHandlers(s: EvalServices): Pick<Handlers, keyof EvalCommands> {
  return {
    'eval/questions/list': ({ characterId }) => s.questions.list(characterId),
    'eval/questions/get': ({ setId, version }) => s.questions.get(setId, version),
    'eval/questions/generate': (request) => s.generator.generate(request),
    'eval/questions/import': (request) => s.questions.import(request),
    'eval/questions/create': ({ characterId, name, questions }) => s.questions.create(characterId, name, questions),
    'eval/questions/save': ({ setId, baseVersion, questions, name, note }) =>
      s.questions.save(setId, baseVersion, questions, { name, note }),
    'eval/questions/archive': ({ setId }) => s.questions.archive(setId),
    'eval/systems/list': ({ characterId }) => s.systems.list(characterId),
    'eval/systems/create': (request) => s.systems.create(request),
    'eval/systems/archive': ({ id }) => s.systems.archive(id),
    'eval/interviews/start': (request) => s.interviews.start(request),
    'eval/interviews/list': (filter) => s.interviews.list(filter),
    'eval/interviews/get': ({ id }) => s.interviews.get(id),
    'eval/interviews/match': ({ key }) => s.interviews.match(key),
  };
}
