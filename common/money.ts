import { counted, plural } from './plural';

/**
 * US dollars as every door shows them, with enough digits that small costs do not vanish: under a
 * dollar, three significant digits ($0.005, $0.0123, $0.523) with at least cents ($0.50); up to
 * $100 in cents; above, whole dollars. Under a hundredth of a cent shows as "<$0.0001".
 */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd)) return '—';
  if (usd < 0) return `-${formatUsd(-usd)}`;
  if (usd === 0) return '$0';
  if (usd < 0.0001) return '<$0.0001';
  if (usd < 1) {
    const digits = Number(usd.toPrecision(3)).toString();
    const decimals = digits.split('.')[1]?.length ?? 0;
    return `$${decimals < 2 ? usd.toFixed(2) : digits}`;
  }
  if (usd < 100) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd).toLocaleString('en-US')}`;
}

/**
 * A job's cost as every door shows it: its dollars, or, when some of its calls went to a model with
 * no price set (`unpricedCalls`), "cost unknown" (none priced) or "at least $x".
 */
export function jobCostText(job: { costUsd: number; unpricedCalls: number }): string {
  if (job.unpricedCalls === 0) return formatUsd(job.costUsd);
  return job.costUsd === 0 ? 'cost unknown' : `at least ${formatUsd(job.costUsd)}`;
}

/** Why a job's cost is unknown or a lower bound, and what to do; null when every call was priced. */
export function unpricedCallsNote(job: { unpricedCalls: number }): string | null {
  const n = job.unpricedCalls;
  if (n === 0) return null;
  return `${counted(n, 'call')} went to a model with no price set, so ${plural(n, 'its', 'their')} cost is not counted. Add the model's price under Settings → Prices to count later calls.`;
}
