import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExperienceJson, parseExperienceText, type ParsedTurn } from '../../../main/core/pipeline/parse';

const opts = { character: 'Beethoven', aliases: ['Ludwig van Beethoven'] };

describe('parseExperienceText', () => {
  it('reads background, thinking, multi-paragraph utterances, actions, parentheses and stray markdown', () => {
    const text = `Background: Bonn, 1782. Sheet music covers the table. Young Beethoven sits at the piano while Neefe listens.

Beethoven (thinking): He will hear every wrong note.

Beethoven (speaking): Good morning, Herr Neefe. I have brought the variations (the ones in C minor).

They are not finished.
The last one still troubles me.

Neefe (speaking): Then play them, Ludwig, and do not rush the second one.
Neefe (action): He leans back and closes his eyes.
**Beethoven (speaking):** Yes, Herr Neefe.
**Ludwig van Beethoven** (speaking): I will begin (slowly).`;
    const r = parseExperienceText(text, opts);
    expect(r.problems).toEqual([]);
    expect(r.items).toHaveLength(1);
    const exp = r.items[0]!;
    expect(exp.truncated).toBe(false);
    expect(exp.background).toBe(
      'Bonn, 1782. Sheet music covers the table. Young Beethoven sits at the piano while Neefe listens.',
    );
    expect(exp.turns).toEqual<ParsedTurn[]>([
      { speaker: 'Beethoven', kind: 'thinking', text: 'He will hear every wrong note.' },
      {
        speaker: 'Beethoven',
        kind: 'speaking',
        text: 'Good morning, Herr Neefe. I have brought the variations (the ones in C minor).\n\nThey are not finished.\nThe last one still troubles me.',
      },
      { speaker: 'Neefe', kind: 'speaking', text: 'Then play them, Ludwig, and do not rush the second one.' },
      { speaker: 'Neefe', kind: 'action', text: 'He leans back and closes his eyes.' },
      { speaker: 'Beethoven', kind: 'speaking', text: 'Yes, Herr Neefe.' },
      { speaker: 'Beethoven', kind: 'speaking', text: 'I will begin (slowly).' },
    ]);
  });

  it('reads headers on their own line with the utterance below', () => {
    const text = `Background:
Vienna, 1805. The Theater an der Wien is cold; the orchestra waits.

Beethoven (speaking)
The hall is cold.
Light the stoves.

Ries (speaking)
At once, master.

Beethoven (thinking)
If only I could hear the strings as I once did.`;
    const r = parseExperienceText(text, opts);
    expect(r.problems).toEqual([]);
    expect(r.items[0]?.background).toBe('Vienna, 1805. The Theater an der Wien is cold; the orchestra waits.');
    expect(r.items[0]?.turns).toEqual([
      { speaker: 'Beethoven', kind: 'speaking', text: 'The hall is cold.\nLight the stoves.' },
      { speaker: 'Ries', kind: 'speaking', text: 'At once, master.' },
      { speaker: 'Beethoven', kind: 'thinking', text: 'If only I could hear the strings as I once did.' },
    ]);
  });

  it("keeps other people's thinking as written, marks it, and keeps the father distinct from the son", () => {
    const text = `Background: Bonn, 1778.
Johann van Beethoven (speaking): Again! From the beginning.
Johann van Beethoven (thinking): The boy could be the next Mozart.
Beethoven (speaking): Yes, father.`;
    const r = parseExperienceText(text, opts);
    expect(r.items[0]?.turns.map((t) => [t.speaker, t.kind, t.text])).toEqual([
      ['Johann van Beethoven', 'speaking', 'Again! From the beginning.'],
      ['Johann van Beethoven', 'thinking', 'The boy could be the next Mozart.'],
      ['Beethoven', 'speaking', 'Yes, father.'],
    ]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ index: 1, code: 'other_thinking', turn: 1 });
    expect(r.problems[0]?.reason).toMatch(/only Beethoven may think; it was kept as written and marked/);
    expect(r.problems[0]?.raw).toContain('next Mozart');
  });

  it('flags cut-off output: finish reason, NONSTOP marker, dangling and empty last turns', () => {
    const complete = `Background: Bonn.\nBeethoven (speaking): I am ready.\nNeefe (speaking): Good.`;
    expect(parseExperienceText(complete, opts).items[0]?.truncated).toBe(false);

    const byLength = parseExperienceText(complete, { ...opts, finishReason: 'length' });
    expect(byLength.items[0]?.truncated).toBe(true);
    expect(byLength.problems.at(-1)?.reason).toMatch(/token limit/);

    const marker = parseExperienceText(`${complete}<|NONSTOP|>`, opts);
    expect(marker.items[0]?.truncated).toBe(true);
    expect(marker.items[0]?.turns.at(-1)?.text).toBe('Good.');

    const dangling = parseExperienceText(`${complete}\nBeethoven (speaking): Then I shall play the`, opts);
    expect(dangling.items[0]?.truncated).toBe(true);
    expect(dangling.problems.at(-1)?.reason).toMatch(/mid-sentence/);

    const emptyLast = parseExperienceText(`${complete}\nBeethoven (speaking)\n`, { ...opts, finishReason: 'stop' });
    expect(emptyLast.items[0]?.truncated).toBe(true);
    expect(emptyLast.items[0]?.turns).toHaveLength(2);

    // The server said it stopped on its own: an unpunctuated last line is not a cut.
    expect(
      parseExperienceText(`${complete}\nBeethoven (speaking): Farewell`, { ...opts, finishReason: 'stop' }).items[0]
        ?.truncated,
    ).toBe(false);
  });

  it('reads turns that lost their label, reporting them', () => {
    const r = parseExperienceText(`Background: Bonn.\nNeefe (speaking): Play.\nBeethoven: I will.\nNeefe: Good.`, opts);
    expect(r.items[0]?.turns.map((t) => [t.speaker, t.kind, t.text])).toEqual([
      ['Neefe', 'speaking', 'Play.'],
      ['Beethoven', 'speaking', 'I will.'],
      ['Neefe', 'speaking', 'Good.'],
    ]);
    expect(r.problems.map((p) => [p.index, p.code, p.turn])).toEqual([
      [1, 'unlabeled_turn', 1],
      [2, 'unlabeled_turn', 2],
    ]);
  });

  it('reports an empty turn in the middle; a later turn keeps its own index', () => {
    const r = parseExperienceText(
      `Background: Bonn.\nNeefe (speaking)\nNeefe (thinking): He is late.\nBeethoven (speaking): Forgive me.`,
      opts,
    );
    expect(r.items[0]?.turns.map((t) => t.kind)).toEqual(['thinking', 'speaking']);
    expect(r.problems.map((p) => [p.code, p.index, p.turn])).toEqual([
      ['empty_turn', 0, null],
      ['other_thinking', 1, 0],
    ]);
  });

  it('reports missing background, missing main character and missing turns without throwing', () => {
    const noBg = parseExperienceText('Beethoven (speaking): Hello.', opts);
    expect(noBg.items[0]?.background).toBe('');
    expect(noBg.problems[0]?.reason).toMatch(/Background/);
    const noMain = parseExperienceText('Background: x.\nNeefe (speaking): Hello.', opts);
    expect(noMain.problems.some((p) => /never speaks/.test(p.reason))).toBe(true);
    for (const bad of ['', 'Just some prose.', '(speaking): nobody', undefined as unknown as string]) {
      const r = parseExperienceText(bad, opts);
      expect(r.items).toEqual([]);
      expect(r.problems.at(-1)?.reason).toMatch(/no turns found/);
    }
  });

  it('parses exported SFT outputs with <|eot|> terminators', () => {
    const output =
      'Beethoven (thinking): He will hear every wrong note.<|eot|>\nBeethoven (speaking): Good morning, Herr Neefe.\nI have brought the variations.<|eot|>\nNeefe (speaking): Then play them, Ludwig, and do not rush the second one.<|eot|>';
    const r = parseExperienceText(`Background: Bonn.\n${output}`, opts);
    expect(r.items[0]?.turns.map((t) => t.text)).toEqual([
      'He will hear every wrong note.',
      'Good morning, Herr Neefe.\nI have brought the variations.',
      'Then play them, Ludwig, and do not rush the second one.',
    ]);
    expect(r.items[0]?.truncated).toBe(false);
  });

  describe('on the released Character-LLM outputs (fixtures)', () => {
    const root = new URL('../../../../shared/fixtures/character-llm/', import.meta.url);
    interface Turn {
      role: string;
      action: string;
      content: string;
    }
    const render = (turns: Turn[]): string => turns.map((t) => `${t.role} ${t.action}: ${t.content}`).join('\n\n');
    const expected = (turns: Turn[]): ParsedTurn[] =>
      turns.map((t) => ({
        speaker: t.role,
        kind: t.action.replace(/[()]/g, '') as ParsedTurn['kind'],
        text: t.content.trim(),
      }));

    it('round-trips every single-turn answer of the trained Beethoven', () => {
      const data = JSON.parse(readFileSync(new URL('interview_single/Beethoven_sft.json', root), 'utf8')) as {
        question: string;
        reply: Turn[];
      }[];
      expect(data.length).toBeGreaterThan(50);
      for (const item of data) {
        const text = `Background: Coffee Shop - Afternoon.\n\nMan (speaking): ${item.question}\n\n${render(item.reply)}`;
        const r = parseExperienceText(text, { character: 'Beethoven' });
        expect(r.problems).toEqual([]);
        expect(r.items[0]?.turns.slice(1)).toEqual(expected(item.reply));
        // The same answer cut off with the reference's marker is flagged, its text kept.
        const cut = parseExperienceText(`${text}<|NONSTOP|>`, { character: 'Beethoven' });
        expect(cut.items[0]?.truncated).toBe(true);
        expect(cut.items[0]?.turns.at(-1)?.text).toBe(item.reply.at(-1)?.content.trim());
      }
    });

    it('round-trips the multi-turn interviews, thinking turns included', () => {
      const lines = readFileSync(new URL('interview_turns/multiturn_Beethoven_sft.jsonl', root), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      let thinking = 0;
      for (const line of lines) {
        const interview = JSON.parse(line) as { content: { turn_content: Turn[] }[] };
        const turns = interview.content.flatMap((c) => c.turn_content);
        thinking += turns.filter((t) => t.action === '(thinking)').length;
        const r = parseExperienceText(`Background: Coffee Shop - Afternoon.\n\n${render(turns)}`, {
          character: 'Beethoven',
          finishReason: 'stop',
        });
        expect(r.problems).toEqual([]);
        expect(r.items[0]?.turns).toEqual(expected(turns));
      }
      expect(thinking).toBeGreaterThan(0);
    });
  });
});

describe('parseExperienceJson', () => {
  const exp = {
    background: 'Bonn, 1782. Neefe listens.',
    turns: [
      { speaker: 'Beethoven', kind: 'thinking', text: 'He will hear every wrong note.' },
      { speaker: 'Ludwig van Beethoven', kind: 'speaking', text: 'Good morning (and good luck).' },
      { speaker: 'Neefe', kind: 'thinking', text: 'Talented boy.' },
      { speaker: 'Neefe', kind: 'speaking', text: 'Play.' },
    ],
  };

  it('reads fenced JSON, maps aliases, keeps and marks others’ thinking', () => {
    const r = parseExperienceJson(`Here it is:\n\`\`\`json\n${JSON.stringify(exp)}\n\`\`\``, opts);
    expect(r.items[0]).toEqual({
      background: 'Bonn, 1782. Neefe listens.',
      truncated: false,
      turns: [
        { speaker: 'Beethoven', kind: 'thinking', text: 'He will hear every wrong note.' },
        { speaker: 'Beethoven', kind: 'speaking', text: 'Good morning (and good luck).' },
        { speaker: 'Neefe', kind: 'thinking', text: 'Talented boy.' },
        { speaker: 'Neefe', kind: 'speaking', text: 'Play.' },
      ],
    });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ index: 2, code: 'other_thinking', turn: 2 });
  });

  it('keeps the complete turns of cut-off JSON and flags it', () => {
    const full = JSON.stringify(exp);
    const cut = full.slice(0, full.indexOf('Play'));
    const r = parseExperienceJson(cut, opts);
    expect(r.items[0]?.truncated).toBe(true);
    expect(r.items[0]?.background).toBe('Bonn, 1782. Neefe listens.');
    expect(r.items[0]?.turns).toHaveLength(3);
    expect(r.problems.some((p) => p.index === 3 && p.code === 'truncated' && /cut off/.test(p.reason))).toBe(true);
    expect(parseExperienceJson(full, { ...opts, finishReason: 'length' }).items[0]?.truncated).toBe(true);
  });

  it('accepts the released dialogue shape and reports bad turns', () => {
    const released = {
      setting: ['Bonn, 1782.'],
      dialogue: [
        { role: 'Beethoven', action: '(speaking)', content: 'Hello.' },
        { role: 'Neefe', action: '(whispering)', content: 'Hm.' },
        { role: 'Neefe', action: '(speaking)', content: '' },
      ],
    };
    const r = parseExperienceJson(JSON.stringify(released), opts);
    expect(r.items[0]).toEqual({
      background: 'Bonn, 1782.',
      truncated: false,
      turns: [
        { speaker: 'Beethoven', kind: 'speaking', text: 'Hello.' },
        { speaker: 'Neefe', kind: 'speaking', text: 'Hm.' },
      ],
    });
    expect(r.problems.map((p) => [p.index, p.code, p.turn])).toEqual([
      [1, 'unknown_kind', 1],
      [2, 'empty_turn', null],
    ]);
    expect(r.problems[0]?.reason).toMatch(/'whispering'.*read as speaking/);
    const noSpeaker = parseExperienceJson(
      JSON.stringify({
        background: 'x',
        turns: [{ text: 'Who said this?' }, { speaker: 'Beethoven', text: 'I did.' }],
      }),
      opts,
    );
    expect(noSpeaker.items[0]?.turns).toHaveLength(1);
    expect(noSpeaker.problems[0]).toMatchObject({ code: 'unreadable_turn', turn: null });
    expect(noSpeaker.problems[0]?.raw).toContain('Who said this?');
    expect(parseExperienceJson('nope', opts).items).toEqual([]);
    expect(parseExperienceJson('{"background": "x"}', opts).problems[0]?.reason).toMatch(/turns/);
  });
});
