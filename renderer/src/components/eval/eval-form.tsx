import type { FormEvent, ReactNode } from 'react';
import type { Provider, ProviderId } from '../../../../common/contract';

/** The Evaluate tab's forms: submit without a page load, and the refusal said next to the button. */
export function EvalForm({
  label,
  className,
  onSubmit,
  children,
}: {
  label: string;
  className: string;
  onSubmit: () => void;
  children: ReactNode;
}) {
  return (
    <form
      className={className}
      aria-label={label}
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </form>
  );
}

export function FormError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
}

/** A labelled choice of the configured providers (`value` the chosen one's id). */
export function ProviderSelect({
  label,
  providers,
  value,
  onChange,
}: {
  label: string;
  providers: readonly Provider[];
  value: ProviderId | undefined;
  onChange: (id: ProviderId) => void;
}) {
  const chosen = providers.find((p) => p.id === value);
  return (
    <label className="field">
      <span>{label}</span>
      {/* A narrow field ends a long name in an ellipsis: the title says it whole. */}
      <select
        value={value ?? ''}
        title={chosen ? `${chosen.name} · ${chosen.model}` : undefined}
        onChange={(e) => onChange(e.target.value as ProviderId)}
      >
        {providers.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} · {p.model}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A budget as typed: null (empty: no limit), dollars above 0, or undefined when it is not one. */
export function budgetOf(text: string): number | null | undefined {
  if (text.trim() === '') return null;
  const amount = Number(text);
  return Number.isFinite(amount) && amount > 0 ? amount : undefined;
}

/**
 * The spending cap of a job about to start (as `--budget` at the command line): the job pauses
 * once its calls have cost this much. Empty: no limit.
 */
export function BudgetField({ value, onChange }: { value: string; onChange: (text: string) => void }) {
  return (
    <label className="field">
      <span>Budget ($)</span>
      <input
        type="number"
        min={0}
        step={0.5}
        value={value}
        placeholder="no limit"
        aria-invalid={budgetOf(value) === undefined}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}
