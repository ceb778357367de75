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
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value as ProviderId)}>
        {providers.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} · {p.model}
          </option>
        ))}
      </select>
    </label>
  );
}
