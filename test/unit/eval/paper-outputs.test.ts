import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { elementLines, parseMultiTurn, parseSingleTurn, sourceOfPath } from '../../../main/core/eval/paper-outputs';
import { fixture } from '../../support/paths';

// The paper's released interview outputs (shared fixtures, byte for byte), read by the pure parser:
// counts taken from the files themselves, thoughts apart from speech, NONSTOP flagged, odd labels
// reported with file and line, text kept exactly, and a broken entry named.

const read = (name: string) => fs.readFileSync(fixture(name), 'utf8');
const rawList = (name: string) => JSON.parse(read(name)) as { question: string; reply: unknown }[];
const rawLines = (name: string) =>
  read(name)
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { content: { turn_role: string; turn_content: { action: string }[] }[] });

describe('single-turn outputs', () => {
  for (const system of ['sft', 'chatgpt']) {
    it(`reads every answer of Beethoven_${system}.json`, () => {
      const name = `interview_single/Beethoven_${system}.json`;
      const expected = rawList(name);
      const { items, oddLabels } = parseSingleTurn(read(name), name);
      expect(items).toHaveLength(expected.length);
      expect(items.length).toBe(82);
      expect(oddLabels).toEqual([]);
      expect(items.map((i) => i.question)).toEqual(expected.map((e) => e.question));
      expect(items.filter((i) => i.topicId === 'topic-4')).toHaveLength(5);
      expect(items.every((i) => i.speech.length > 0 && i.thoughts === '')).toBe(true);
      // Lines point at each entry's opening brace in the file.
      const fileLines = read(name).split('\n');
      for (const item of items) expect(fileLines[item.line - 1]).toMatch(/^\s*\{/);
    });
  }

  it('accepts a bare reply object, flags NONSTOP and reports odd labels with file and line', () => {
    const text = JSON.stringify(
      [
        { topic_id: 'topic-1', question: 'Q1', reply: { role: 'Beethoven', action: '(speaking)', content: 'A: B' } },
        {
          topic_id: 'topic-2',
          question: 'Q2',
          reply: [
            { role: 'Beethoven', action: '((speaking)', content: 'cut <|NONSTOP|>' },
            { role: 'Beethoven', action: 'thinking', content: 'hmm' },
          ],
        },
      ],
      null,
      2,
    );
    const { items, oddLabels } = parseSingleTurn(text, 'x.json');
    expect(items[0]).toMatchObject({ speech: 'A: B', nonstop: false, line: 2 });
    expect(items[1]).toMatchObject({ speech: 'cut <|NONSTOP|>', thoughts: 'hmm', nonstop: true });
    expect(oddLabels).toEqual([
      { file: 'x.json', line: items[1]!.line, label: '((speaking)', readAs: 'speaking' },
      { file: 'x.json', line: items[1]!.line, label: 'thinking', readAs: 'thinking' },
    ]);
  });

  it('names the file and line of an entry without a question', () => {
    const text = '[\n  {"question": "Q", "reply": []},\n  {"reply": []}\n]';
    expect(() => parseSingleTurn(text, 'bad.json')).toThrow(/bad\.json, line 3: the entry has no `question`/);
    expect(() => parseSingleTurn('{"a": 1}', 'obj.json')).toThrow(/obj\.json, line 1: expected a JSON list/);
    expect(() => parseSingleTurn('[\n{"question": "Q",\n', 'cut.json')).toThrow(/cut\.json, line \d+: not valid JSON/);
  });

  it('finds the line of each top-level element, strings with brackets included', () => {
    expect(elementLines('[\n {"a": "]}["},\n\n {"b": [1, {"c": 2}]}\n]')).toEqual([2, 4]);
  });
});

describe('multi-turn outputs', () => {
  const name = 'interview_turns/multiturn_Beethoven_sft.jsonl';

  it('reads every interview and round, thoughts apart from speech', () => {
    const expected = rawLines(name);
    const { items, oddLabels } = parseMultiTurn(read(name), name);
    expect(items).toHaveLength(expected.length);
    expect(items.length).toBe(50);
    expect(oddLabels).toEqual([]);
    const rounds = items.flatMap((i) => i.rounds);
    expect(rounds).toHaveLength(expected.reduce((n, e) => n + e.content.length, 0));
    const character = rounds.filter((r) => r.by === 'character');
    const thoughtOnly = character.filter((r) => r.speech === '' && r.thoughts !== '');
    const expectedThoughtOnly = expected
      .flatMap((e) => e.content)
      .filter((c) => c.turn_role === 'character' && c.turn_content.every((t) => t.action === '(thinking)'));
    expect(thoughtOnly).toHaveLength(expectedThoughtOnly.length);
    expect(thoughtOnly.length).toBeGreaterThan(0);
    expect(items[0]).toMatchObject({ characterName: 'Ludwig van Beethoven', maxTurns: 5, finished: true, line: 1 });
    expect(items[0]!.goal).toBe('How did you want your audience to feel when listening to your music?');
  });

  it('reads a round of several turns and an odd label', () => {
    const line = JSON.stringify({
      topic: 'goal',
      content: [
        { turn_id: 0, turn_role: 'interviewer', turn_content: [{ role: 'Man', action: '(speaking)', content: 'Q?' }] },
        {
          turn_id: 0,
          turn_role: 'character',
          turn_content: [
            { role: 'B', action: '(thinking)', content: 'T' },
            { role: 'B', action: '((speaking)', content: 'S1' },
            { role: 'B', action: '(speaking)', content: 'S2 <|NONSTOP|>' },
          ],
        },
      ],
    });
    const { items, oddLabels } = parseMultiTurn(`\n${line}\n`, 'm.jsonl');
    expect(items[0]!.rounds[1]).toMatchObject({ speech: 'S1\nS2 <|NONSTOP|>', thoughts: 'T', nonstop: true });
    expect(oddLabels).toEqual([{ file: 'm.jsonl', line: 2, label: '((speaking)', readAs: 'speaking' }]);
    expect(() => parseMultiTurn('{"topic": "g", "content": [{"turn_role": "judge"}]}', 'r.jsonl')).toThrow(
      /r\.jsonl, line 1: round 1 has turn_role "judge"/,
    );
  });
});

describe('names of released files', () => {
  it('reads flat files and the repository layout', () => {
    expect(sourceOfPath('/x/Beethoven_sft.json')).toEqual({ kind: 'single', short: 'Beethoven', system: 'sft' });
    expect(sourceOfPath('/x/multiturn_Beethoven_sft.jsonl')).toEqual({
      kind: 'multi',
      short: 'Beethoven',
      system: 'sft',
    });
    expect(sourceOfPath('/g/interview_single/Hermonie_vicuna-7b_result/2023-00-00-00-00-00.json')).toEqual({
      kind: 'single',
      short: 'Hermonie',
      system: 'vicuna-7b',
    });
    expect(sourceOfPath('/g/interview_turns/multiturn_Caesar_alpaca-7b_result/2023-00-00-00-00-00.jsonl')).toEqual({
      kind: 'multi',
      short: 'Caesar',
      system: 'alpaca-7b',
    });
    expect(sourceOfPath('/g/README.md')).toBeNull();
    expect(sourceOfPath('/g/notes/readme.json')).toBeNull();
  });
});
