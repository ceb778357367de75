import { useEffect, useState, type ReactNode } from 'react';

/**
 * Form pieces shared by the Generate and Train tabs: a number input that keeps the user's text
 * (so half-typed numbers survive) and shows either its hint or its error, and a debounce.
 */

export interface NumberFieldProps<F extends string> {
  label: string;
  field: F;
  text: (field: F) => string;
  set: (field: F, value: string) => void;
  errors: Partial<Record<F, string>>;
  min?: number;
  max?: number;
  /** Default `any`: every decimal is accepted; the schema decides. */
  step?: number;
  optional?: boolean;
  children: ReactNode;
}

export function NumberField<F extends string>({
  label,
  field,
  text,
  set,
  errors,
  min,
  max,
  step,
  optional,
  children,
}: NumberFieldProps<F>) {
  const error = errors[field];
  return (
    <label>
      <span>
        {label} {optional && <span className="optional">(optional)</span>}
      </span>
      <input
        type="number"
        inputMode="decimal"
        min={min}
        max={max}
        step={step ?? 'any'}
        value={text(field)}
        aria-invalid={error ? true : undefined}
        onChange={(e) => set(field, e.target.value)}
      />
      {error ? <small className="field-error">{error}</small> : <small>{children}</small>}
    </label>
  );
}

/** The value once it has stopped changing for `ms`; compared by content, not identity. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
    // `key` stands for `value`'s content; a new object with the same content does not restart it.
  }, [key, ms]);
  return JSON.stringify(settled) === key ? value : settled;
}
