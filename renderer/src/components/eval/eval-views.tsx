import type { ReactNode } from 'react';
import type { Character } from '../../../../common/contract';
import { InterviewsView } from './InterviewsView';
import { JudgeView } from './JudgeView';
import { QuestionSetsView } from './QuestionSetsView';
import { ReportView } from './ReportView';

/** One sub-view of the Evaluate tab; `go` switches to another by id. */
export interface EvalView {
  id: string;
  label: string;
  render: (character: Character, go: (id: string) => void) => ReactNode;
}

/** The Evaluate tab's sub-views, in the order they show. Add a view here (and its own file). */
export const EVAL_VIEWS: readonly EvalView[] = [
  {
    id: 'questions',
    label: 'Question sets',
    render: (character) => <QuestionSetsView character={character} />,
  },
  {
    id: 'interviews',
    label: 'Interviews',
    render: (character) => <InterviewsView character={character} />,
  },
  {
    id: 'judge',
    label: 'Judge',
    render: (character) => <JudgeView character={character} />,
  },
  {
    id: 'report',
    label: 'Report',
    render: (character) => <ReportView character={character} />,
  },
];
