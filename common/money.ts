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
