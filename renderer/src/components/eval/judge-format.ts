import type { Rate } from '../../../../common/contract';

export { DIMENSION_LABEL, JUDGE_DIMENSIONS as DIMENSIONS } from '../../../../common/judge-dimensions';

/** `62% [41–79%]`: a share with its 95% interval, in whole percent. */
export function formatRate(r: Rate): string {
  const p = (x: number) => Math.round(x * 100);
  return `${p(r.rate)}% [${p(r.low)}–${p(r.high)}%]`;
}
