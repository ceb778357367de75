import type { GenerationPlan } from '../../../../common/contract';
import '../../presets.css';

/**
 * In place of the scene fields when a preset sets them: what the preset will do, in words, from
 * main's plan for this profile (the estimate), so the form never restates the numbers itself.
 */
export function PresetRules({ plan }: { plan: GenerationPlan | null }) {
  return (
    <div className="preset-rules span-2" aria-label="What the plan does">
      {plan && plan.rules.length > 0 ? (
        <ul>
          {plan.rules.map((rule) => (
            <li key={rule}>{rule}</li>
          ))}
        </ul>
      ) : (
        <p className="muted">Working out the plan for this profile…</p>
      )}
      <small>Temperature, top-p, the budget and the prompts stay yours to set.</small>
    </div>
  );
}
