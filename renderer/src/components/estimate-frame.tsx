import type { ReactNode } from 'react';

/**
 * The estimate box of the Generate and Train forms: the state it is in (settings to fix, an error,
 * estimating) or the figures, then the warnings.
 */
export function EstimateFrame({
  label,
  loading,
  invalid,
  error,
  warnings,
  children,
}: {
  /** The region's accessible name. */
  label: string;
  loading: boolean;
  invalid: boolean;
  error: string | null;
  /** Null while there is no estimate yet. */
  warnings: readonly string[] | null;
  children: ReactNode;
}) {
  return (
    <section className={loading ? 'estimate loading' : 'estimate'} aria-label={label} aria-busy={loading}>
      <h3>Estimate</h3>
      {invalid ? (
        <p className="muted">Fix the highlighted settings to see an estimate.</p>
      ) : error ? (
        <p className="form-error">{error}</p>
      ) : !warnings ? (
        <p className="muted">Estimating…</p>
      ) : (
        <>
          {children}
          {warnings.length > 0 && (
            <ul className="warnings">
              {warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
