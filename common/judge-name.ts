/**
 * One judge: a judge model asked with one version of the judge prompt. Re-judging with a new
 * wording (a new prompt version) is a new judge, kept beside the old one, so that scores made with
 * two wordings are never averaged together (main/core/eval/judge-prompts.ts). The report, the
 * Judge tab and the CLI all name judges with this, so the same judge reads the same everywhere.
 */
export function judgeNameOf(model: string, promptVersion: string): string {
  return `${model} · ${promptVersion}`;
}

/**
 * Whether a judgment by `model` with `promptVersion` is the chosen judge's: `chosen` is a judge's
 * name (that model and version only) or a judge model alone (any of its versions).
 */
export function isByJudge(model: string, promptVersion: string, chosen: string): boolean {
  return model === chosen || judgeNameOf(model, promptVersion) === chosen;
}
