import { describe, expect, it } from 'vitest';
import { parseScenesJson, parseScenesText } from '../../../main/core/pipeline/parse';

describe('parseScenesText', () => {
  it('reads numbered paper-format blocks and ignores prose around them', () => {
    const text = `Here are 3 scenes:

1.
Type: Chat
Location: Neefe's room in Bonn
Background: Young Beethoven brings his first variations to his teacher, Christian Gottlob Neefe, who listens closely.

2.
Type: Debate
Location: The Breuning house
Background: Beethoven argues with Stephan von Breuning about whether music should serve princes.
People: Beethoven, Stephan von Breuning and Eleonore

3. Type: Speech
Location: Bonn court chapel
Background: The Elector's musicians gather; Beethoven (aged 14) is named assistant organist.

I hope these help!`;
    const r = parseScenesText(text);
    expect(r.problems).toEqual([]);
    expect(r.items).toEqual([
      {
        type: 'Chat',
        location: "Neefe's room in Bonn",
        time: '',
        background:
          'Young Beethoven brings his first variations to his teacher, Christian Gottlob Neefe, who listens closely.',
        people: [],
      },
      {
        type: 'Debate',
        location: 'The Breuning house',
        time: '',
        background: 'Beethoven argues with Stephan von Breuning about whether music should serve princes.',
        people: ['Beethoven', 'Stephan von Breuning', 'Eleonore'],
      },
      {
        type: 'Speech',
        location: 'Bonn court chapel',
        time: '',
        background: "The Elector's musicians gather; Beethoven (aged 14) is named assistant organist.",
        people: [],
      },
    ]);
  });

  it('tolerates markdown headings, bold labels, bullets, multi-line backgrounds and People lists', () => {
    const text = `### Scene 1
**Type:** Speech
**Location:** Vienna, Theater an der Wien
**Background:** Beethoven addresses the orchestra before the premiere
of the Fifth Symphony, the hall still cold.
People:
- Beethoven
- Ferdinand Ries

### Scene 2
- **Type**: Discussion
- **Location**: Heiligenstadt
- **Time**: October 1802
- **Background**: Beethoven confides his deafness (which he hides from everyone) to his doctor.`;
    const r = parseScenesText(text);
    expect(r.problems).toEqual([]);
    expect(r.items).toEqual([
      {
        type: 'Speech',
        location: 'Vienna, Theater an der Wien',
        time: '',
        background: 'Beethoven addresses the orchestra before the premiere of the Fifth Symphony, the hall still cold.',
        people: ['Beethoven', 'Ferdinand Ries'],
      },
      {
        type: 'Discussion',
        location: 'Heiligenstadt',
        time: 'October 1802',
        background: 'Beethoven confides his deafness (which he hides from everyone) to his doctor.',
        people: [],
      },
    ]);
  });

  it('keeps good blocks around malformed ones and reports each malformed block', () => {
    const text = `Type: Chat
Location: A tavern in Bonn
Background: Beethoven and his brothers share a meal.

Type: Debate
Location: Lichnowsky's salon

Type: Chat
Background: A quiet walk.

Type: Speech
Location: Vienna
Background: Beethoven conducts the Ninth and cannot hear the applause.`;
    const r = parseScenesText(text);
    expect(r.items.map((s) => s.location)).toEqual(['A tavern in Bonn', 'Vienna']);
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]).toMatchObject({ index: 1, reason: 'scene 2 has no Background' });
    expect(r.problems[0]?.raw).toContain("Lichnowsky's salon");
    expect(r.problems[1]).toMatchObject({ index: 2, reason: 'scene 3 has no Location' });
  });

  it('reads one-line blocks and other field orders', () => {
    const r = parseScenesText(`Type: Chat | Location: Bonn | Background: Beethoven tunes the organ.
Type: Debate; Location: Vienna; Background: Beethoven argues with a publisher.`);
    expect(r.items.map((s) => [s.type, s.location])).toEqual([
      ['Chat', 'Bonn'],
      ['Debate', 'Vienna'],
    ]);
    const reordered = parseScenesText(
      `Location: Bonn\nBackground: One.\nType: chat\n\nLocation: Vienna\nBackground: Two.\nType: speech`,
    );
    expect(reordered.items.map((s) => [s.location, s.type])).toEqual([
      ['Bonn', 'chat'],
      ['Vienna', 'speech'],
    ]);
  });

  it('never throws and explains when nothing is there', () => {
    for (const bad of ['', "I'm sorry, I can't do that.", '{"scenes": []}', '\u0000\u0001', 'Type:'.repeat(1000)]) {
      const r = parseScenesText(bad);
      expect(r.items).toEqual([]);
      expect(r.problems.length).toBeGreaterThan(0);
    }
    expect(parseScenesText(undefined as unknown as string).problems[0]?.index).toBe(-1);
  });
});

describe('parseScenesJson', () => {
  const scene = (n: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    type: 'chat',
    location: `Place ${n}`,
    time: '1790',
    background: `Background number ${n}.`,
    people: ['Beethoven'],
    ...extra,
  });

  it('turns a lone surrogate escape into one U+FFFD and keeps surrogate pairs whole', () => {
    // A model under a JSON grammar may write any \u escape, half a pair included; stored as UTF-8
    // by SQLite, a lone surrogate would come back as three U+FFFD.
    const text =
      '{"scenes":[{"type":"chat","location":"Bonn \\ud800 hall","time":"1790","background":"A \\ud83c\\udfb5 note \\udfb5.","people":[]}]}';
    const [item] = parseScenesJson(text).items;
    expect(item!.location).toBe('Bonn \uFFFD hall');
    expect(item!.background).toBe('A \u{1F3B5} note \uFFFD.');
  });

  it('reads fenced JSON after leading prose', () => {
    const text = `Sure! Here are the scenes you asked for:\n\n\`\`\`json\n${JSON.stringify({ scenes: [scene(1), scene(2, { people: [{ name: 'Neefe' }, 'Beethoven'] })] }, null, 2)}\n\`\`\`\nLet me know if you need more.`;
    const r = parseScenesJson(text);
    expect(r.problems).toEqual([]);
    expect(r.items).toEqual([
      { type: 'chat', location: 'Place 1', time: '1790', background: 'Background number 1.', people: ['Beethoven'] },
      {
        type: 'chat',
        location: 'Place 2',
        time: '1790',
        background: 'Background number 2.',
        people: ['Neefe', 'Beethoven'],
      },
    ]);
  });

  it('keeps the complete scenes of truncated JSON and reports the cut', () => {
    const full = JSON.stringify({ scenes: [scene(1), scene(2), scene(3)] });
    const cut = full.slice(0, full.indexOf('Place 3') + 3);
    const r = parseScenesJson(cut);
    expect(r.items.map((s) => s.location)).toEqual(['Place 1', 'Place 2']);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ index: 2 });
    expect(r.problems[0]?.reason).toMatch(/cut off/);
    // Cut between elements: still reported as cut off.
    const between = full.slice(0, full.indexOf(',{"type"', full.indexOf('Place 2')) + 1);
    const r2 = parseScenesJson(between);
    expect(r2.items).toHaveLength(2);
    expect(r2.problems.map((p) => p.reason).join()).toMatch(/cut off/);
  });

  it('reports invalid scenes by index and keeps the rest', () => {
    const text = `{"scenes": [${JSON.stringify(scene(1))}, {"type": "chat", "location": "Nowhere"}, ${JSON.stringify(scene(3))},]}`;
    const r = parseScenesJson(text);
    expect(r.items.map((s) => s.location)).toEqual(['Place 1', 'Place 3']);
    expect(r.problems).toEqual([
      {
        index: 1,
        code: 'incomplete_scene',
        reason: 'scene 2: missing or empty background',
        raw: '{"type":"chat","location":"Nowhere"}',
        turn: null,
      },
    ]);
  });

  it('salvages around an element that is not valid JSON', () => {
    const text = `{"scenes": [${JSON.stringify(scene(1))}, {"type": "chat" "location": "x"}, ${JSON.stringify(scene(3))}]}`;
    const r = parseScenesJson(text);
    expect(r.items.map((s) => s.location)).toEqual(['Place 1', 'Place 3']);
    expect(r.problems.some((p) => p.index === 1 && /not valid JSON/.test(p.reason))).toBe(true);
  });

  it('accepts a top-level array and reports answers without scenes', () => {
    expect(parseScenesJson(JSON.stringify([scene(1)])).items).toHaveLength(1);
    expect(parseScenesJson('{"answer": 42}').problems[0]).toMatchObject({
      index: -1,
      reason: "the JSON has no 'scenes' array",
    });
    expect(parseScenesJson('no json here').problems[0]?.reason).toMatch(/No JSON/);
    expect(parseScenesJson('```json\n{"scenes": [').problems[0]?.reason).toMatch(/cut off/);
  });
});
