import type { FormEvent, ReactNode } from 'react';

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
