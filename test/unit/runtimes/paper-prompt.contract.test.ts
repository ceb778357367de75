import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatRuntimeMessage } from '../../../main/core/runtimes/chat-runtime';
import {
  characterLlmContinuation,
  characterLlmPrompt,
  chatPromptMessages,
  HISTORY_TURNS,
  type PromptCharacter,
  type TemplateMessage,
} from '../../../main/core/runtimes/paper-prompt';
import { repoRoot } from '../../support/paths';
import { requireVenv, runPython } from '../trainer/fixtures';

/**
 * The embedded runtime renders in TypeScript what the trainer's inference.py renders in Python (the
 * prompt the model was trained on), and the trainer's `serve` renders Continue's prompt as the embedded
 * runtime does. Both render the same shared cases; the texts must be byte-equal.
 */
interface Case {
  name: string;
  character: PromptCharacter;
  messages: ChatRuntimeMessage[];
}
interface Rendered {
  name: string;
  character_llm: string;
  chat_messages: TemplateMessage[];
  /** Continue's prompt, for a case ending with the character's reply. */
  continuation: string | null;
}

const casesFile = join(repoRoot, 'test', 'support', 'cases', 'paper-prompt-cases.json');
const cases = (JSON.parse(readFileSync(casesFile, 'utf8')) as { cases: Case[] }).cases;
let python: Map<string, Rendered>;

beforeAll(() => {
  requireVenv();
  const script = join(repoRoot, 'test', 'support', 'paper-prompt.py');
  const out = runPython(
    `import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')`,
    [script, casesFile],
  );
  python = new Map((JSON.parse(out) as { cases: Rendered[] }).cases.map((c) => [c.name, c]));
}, 60_000);

describe('the paper prompt, TypeScript against inference.py', () => {
  it('covers what the contract needs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    expect(cases.some((c) => c.messages.filter((m) => m.role !== 'system').length > HISTORY_TURNS)).toBe(true);
    expect(cases.some((c) => c.messages.some((m) => m.reasoning))).toBe(true);
    expect(cases.some((c) => c.messages.some((m) => m.name))).toBe(true);
    expect(cases.some((c) => !c.messages.some((m) => m.role === 'system'))).toBe(true);
    expect(cases.filter((c) => c.messages.at(-1)?.role === 'assistant').length).toBeGreaterThanOrEqual(3);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const theirs = python.get(name);
    expect(theirs, `inference.py rendered no case named ${name}`).toBeDefined();
    expect(characterLlmPrompt(c.messages, c.character)).toBe(theirs!.character_llm);
    expect(chatPromptMessages(c.messages, c.character)).toEqual(theirs!.chat_messages);
    if (c.messages.at(-1)?.role === 'assistant')
      expect(characterLlmContinuation(c.messages, c.character)).toBe(theirs!.continuation);
    else expect(theirs!.continuation).toBeNull();
  });

  it('keeps the last eight turns and primes the character', () => {
    const long = cases.find((c) => c.name.startsWith('more than eight'))!;
    const prompt = characterLlmPrompt(long.messages, long.character);
    expect(prompt.endsWith('<|eot|>\nBeethoven (')).toBe(true);
    // A thinking turn is a turn of its own: the window holds Question 8 … "And now?" (8 blocks).
    expect(prompt).not.toContain('Answer 7.');
    expect(prompt).toContain('Man (speaking): Question 8?<|eot|>');
  });
});
