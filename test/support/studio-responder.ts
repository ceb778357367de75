import type { FakeChatRequest, FakeReply } from './fake-llm-server';

/**
 * Answers the studio's generation prompts the way a capable model would, for the scripted fake
 * server: JSON when the request carries a json_schema response format (named `scenes`,
 * `experience` or `limits`), the paper's text format otherwise. Every answer is distinct (numbered
 * by request), so near-duplicate detection keeps them.
 *
 * `othersThinkEvery: k` makes every k-th experience break the method the way models do: the other
 * speaker gets a thinking turn (second turn), to exercise how format problems are kept and shown.
 */
export function studioResponder(
  options: {
    character?: string;
    othersThinkEvery?: number;
    /** Every n-th scene of a scenes answer comes without its location (a block that cannot be read). */
    sceneWithoutLocationEvery?: number;
  } = {},
) {
  let n = 0;
  let experiences = 0;
  return (req: FakeChatRequest): FakeReply => {
    n++;
    const prompt = req.messages.map((m) => m.content).join('\n');
    const schema = (req.response_format as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
    const character = options.character ?? /Use "([^"]+)"(?: as| and)/.exec(prompt)?.[1] ?? 'Beethoven';
    const kind =
      schema ??
      (/List \d+ specific things/.test(prompt)
        ? 'limits'
        : /Imagine \d+ different/.test(prompt)
          ? 'scenes'
          : 'experience');
    if (kind === 'limits') {
      const items = [
        'the smartphone',
        'the Python programming language',
        'the Second World War',
        'television',
        'the airplane',
      ];
      return schema ? JSON.stringify({ limits: items }) : items.map((i) => `- ${i}`).join('\n');
    }
    if (kind === 'scenes') {
      const count = Number(/Imagine (\d+) different/.exec(prompt)?.[1] ?? 5);
      const scenes = Array.from({ length: count }, (_, i) => ({
        type: ['chat', 'debate', 'lesson', 'quarrel'][i % 4]!,
        location: `Room ${n}-${i} of the house in Bonn`,
        time: `Spring ${1780 + ((n * 7 + i) % 40)}`,
        background: `Request ${n} scene ${i}: ${character} meets visitor number ${n * 100 + i} to discuss piece ${n}-${i} and the quartet ${i * 13 + n}.`,
        people: [`Visitor ${n}-${i}`],
      }));
      const every = options.sceneWithoutLocationEvery;
      if (every !== undefined) scenes.forEach((s, i) => (i + 1) % every === 0 && (s.location = ''));
      if (schema) return JSON.stringify({ scenes });
      return scenes
        .map(
          (s) =>
            `Type: ${s.type}\nLocation: ${s.location}\nTime: ${s.time}\nBackground: ${s.background}\nPeople: ${s.people.join(', ')}`,
        )
        .join('\n\n');
    }
    const other = /a person named ([A-Z][a-z]+ [A-Z][a-z]+)/.exec(prompt)?.[1] ?? 'Neefe';
    experiences++;
    const othersThink = options.othersThinkEvery !== undefined && experiences % options.othersThinkEvery === 0;
    const turns = [
      { speaker: other, kind: 'speaking', text: `Good morning, ${character}. I have a question (number ${n}).` },
      ...(othersThink ? [{ speaker: other, kind: 'thinking', text: 'He has not practised.' }] : []),
      { speaker: character, kind: 'thinking', text: 'Another visitor, and the light is already fading.' },
      {
        speaker: character,
        kind: 'speaking',
        text: 'Ask, then.\n\nBut be brief: the second movement will not write itself.',
      },
      { speaker: other, kind: 'action', text: 'leans closer to the piano' },
      { speaker: other, kind: 'speaking', text: 'What do you make of it?' },
      { speaker: character, kind: 'speaking', text: 'I know nothing of such things. Music is what I know.' },
    ];
    const background = `A quiet afternoon, conversation ${n}.`;
    if (schema) return JSON.stringify({ background, turns });
    return `Background: ${background}\n\n${turns.map((t) => `${t.speaker} (${t.kind}): ${t.text}`).join('\n\n')}`;
  };
}
