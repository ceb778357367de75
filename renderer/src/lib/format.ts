/** How every screen writes times, durations, token counts, money and shares. */

export { formatDuration } from '../../../common/duration';
export { formatUsd } from '../../../common/money';

export function formatTokens(tokens: number): string {
  if (tokens < 10_000) return tokens.toLocaleString('en-US');
  if (tokens < 1_000_000) return `${(tokens / 1000).toFixed(tokens < 100_000 ? 1 : 0)}k`;
  return `${(tokens / 1_000_000).toFixed(2)}M`;
}

/** A moment as every screen shows one ("Dec 3, 2026, 12:29 AM"); `seconds` where moments a minute apart must differ (revisions, calls). */
export function formatTime(ms: number, options: { seconds?: boolean } = {}): string {
  return new Date(ms).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: options.seconds ? 'medium' : 'short',
  });
}

/** A share 0–1 as a percentage with at most one decimal. */
export function formatPercent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
