/** Reads a list of what the character cannot know: JSON `{limits: [...]}` when asked by schema, else one per line. */
export function parseLimits(text: string, structured: boolean): string[] {
  if (structured) {
    try {
      const parsed = JSON.parse(text.replace(/^```(?:json)?\s*|\s*```$/g, '')) as { limits?: unknown };
      if (Array.isArray(parsed.limits))
        return parsed.limits
          .filter((x): x is string => typeof x === 'string' && x.trim().length > 1)
          .map((x) => x.trim());
    } catch {
      // fall through to the line reader
    }
  }
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '')
        .replace(/\*\*/g, '')
        .trim(),
    )
    .filter((line) => line.length > 1 && line.length < 200 && !/:$/.test(line));
}
