import type { FakeChatRequest, FakeReply } from './fake-llm-server';

/**
 * The fake server's answers to the studio's judge prompts (main/core/eval/judge-prompts.ts), as a
 * capable judge would write them: a few sentences of reasoning, then the verdict alone on a line and
 * again on the next. Deterministic: the same prompt gets the same verdict.
 *
 * - A score prompt gets `score(req)`: by default a number 1–7 drawn from a hash of the interaction.
 * - A pairwise prompt gets `pairwise(req)`: by default the answer whose transcript is longer wins,
 *   whichever position it is shown in (a judge without position bias).
 */
export interface JudgeScript {
  score?: (req: FakeChatRequest, interaction: string) => FakeReply | Promise<FakeReply>;
  pairwise?: (req: FakeChatRequest, first: string, second: string) => FakeReply | Promise<FakeReply>;
}

export function isJudgeRequest(req: FakeChatRequest): boolean {
  return /strict, fair judge of role-play/.test(req.messages[0]?.content ?? '');
}

export function isPairwiseRequest(req: FakeChatRequest): boolean {
  return isJudgeRequest(req) && /Answer 2:/.test(firstUser(req));
}

function firstUser(req: FakeChatRequest): string {
  return req.messages.find((m) => m.role === 'user')?.content ?? '';
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The interaction a score prompt shows (between its `The interaction:` quotes). */
export function interactionOf(req: FakeChatRequest): string {
  return /The interaction:\n"""\n([\s\S]*?)\n"""/.exec(firstUser(req))?.[1] ?? '';
}

/** The two transcripts a pairwise prompt shows, in the order shown. */
export function answersOf(req: FakeChatRequest): [string, string] {
  const user = firstUser(req);
  const first = /Answer 1:\n"""\n([\s\S]*?)\n"""/.exec(user)?.[1] ?? '';
  const second = /Answer 2:\n"""\n([\s\S]*?)\n"""/.exec(user)?.[1] ?? '';
  return [first, second];
}

/** The dimension a judge prompt asks about (its criterion's title). */
export function dimensionOf(req: FakeChatRequest): string {
  return (
    /(?:Judge only this criterion|Compare them on this criterion only) — ([A-Za-z]+)/
      .exec(firstUser(req))?.[1]
      ?.toLowerCase() ?? ''
  );
}

export function verdictText(reasoning: string, verdict: string | number): string {
  return `${reasoning}\n\n${verdict}\n${verdict}`;
}

export function judgeResponder(script: JudgeScript = {}): (req: FakeChatRequest) => FakeReply | Promise<FakeReply> {
  return (req) => {
    if (isPairwiseRequest(req)) {
      const [first, second] = answersOf(req);
      if (script.pairwise) return script.pairwise(req, first, second);
      const verdict = first.length === second.length ? 'tie' : first.length > second.length ? '1' : '2';
      return verdictText('Step by step: both stay in the period; one gives more concrete detail.', verdict);
    }
    const interaction = interactionOf(req);
    if (script.score) return script.score(req, interaction);
    const score = 1 + (hash(`${dimensionOf(req)}|${interaction}`) % 7);
    return verdictText('Step by step: the answer names people and places of his life, in his own voice.', score);
  };
}
