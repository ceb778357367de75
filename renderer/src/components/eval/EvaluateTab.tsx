import { useState } from 'react';
import type { Character } from '../../../../common/contract';
import { EVAL_VIEWS } from './eval-views';
import '../../eval.css';

/**
 * The Evaluate tab: a small shell over sub-views (question sets, interviews, and the report others
 * add), each one file registered in `eval-views.tsx`. A sub-view may send the user to another
 * (`go`), e.g. from starting interviews to watching them.
 */
export function EvaluateTab({ character }: { character: Character }) {
  const [view, setView] = useState(EVAL_VIEWS[0]!.id);
  const current = EVAL_VIEWS.find((v) => v.id === view) ?? EVAL_VIEWS[0]!;
  return (
    <div className="eval-tab">
      <nav className="segmented eval-views" aria-label="Evaluate views">
        {EVAL_VIEWS.map((v) => (
          <button
            key={v.id}
            type="button"
            aria-pressed={v.id === current.id}
            className={v.id === current.id ? 'selected' : ''}
            onClick={() => setView(v.id)}
          >
            {v.label}
          </button>
        ))}
      </nav>
      {current.render(character, setView)}
    </div>
  );
}
