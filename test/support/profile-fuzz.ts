import type { Profile } from '../../common/contract';
import { seededRandom } from '../../main/core/pipeline/planner';
import type { DoorInvoke, DoorReply } from './http-door';

/**
 * A seeded fuzzer of hostile profile imports, sent through the web door (issue 8, points 17–19).
 *
 * Each case is drawn from a deterministic generator (the planner's mulberry32, seeded from `seed`
 * and the case's index, so any failure replays from its number): NUL bytes in text, titles and file names; long runs of spaces;
 * emoji and clusters across the chunk size limit; `$&`-style patterns in card fields; titles with no
 * text; chunk edits that start with NUL or split an emoji; UTF-16, Latin-1 and binary files; broken
 * PNG and JSON cards. Every request is timed and checked: no reply slower than `hangMs`, no HTTP 5xx,
 * no text changed (an accepted import holds every non-whitespace character it was given, in order,
 * and no U+FFFD), and every input that must be refused is refused, with nothing stored.
 */

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** A reply slower than this counts as a hang. */
  hangMs: number;
}

export interface FuzzFigures {
  seed: number;
  cases: number;
  requests: number;
  accepted: number;
  refused: number;
  hangs: string[];
  serverErrors: string[];
  corruptions: string[];
  wrongOutcomes: string[];
  byKind: Record<string, number>;
  medianMs: number;
  p99Ms: number;
  slowest: { kind: string; index: number; ms: number };
  megabytesSent: number;
}

const WORDS = [
  ['Bonn', 'Wien', 'ship', 'letter', 'sea', 'harbour', 'captain', 'music', 'winter', 'Neefe'],
  ['Grüße', 'café', 'naïve', 'Ærø', 'straße', 'e\u0301te\u0301', 'Zoë'],
  ['北京', '東京', '음악', 'музыка', 'موسيقى', 'संगीत'],
  ['😀', '👨‍👩‍👧', '🇩🇪', '👍🏽', '🏳️‍🌈', '𝄞'],
  ['$&', "$'", '$`', '$1', '$$', '$<x>', '{{char}}', '{{user}}', '<BOT>', '\\1'],
  ['"quoted"', '(aside)', '—', '…', '‽', '?!', '...', '1780–1792:'],
];
const ODD_SPACE = ['\t', '\u00a0', '\u3000', '  '];

class Draw {
  constructor(private readonly next: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  word(): string {
    return this.pick(this.pick(WORDS));
  }
  line(words: number): string {
    const parts = Array.from({ length: words }, () => this.word());
    return parts.join(this.chance(0.1) ? this.pick(ODD_SPACE) : ' ') + this.pick(['.', '!', '?', '', ';']);
  }
  paragraph(): string {
    const lines = Array.from({ length: this.int(1, 5) }, () => this.line(this.int(1, 30)));
    return lines.join(this.chance(0.3) ? '\n' : ' ');
  }
  /** Paragraphs with assorted blank-line styles; never starts with a `# ` line. */
  prose(paragraphs: number): string {
    const gaps = ['\n\n', '\n \n', '\n\n\n', '\r\n\r\n', '\n\t\n'];
    return Array.from({ length: paragraphs }, () => this.paragraph()).join(this.pick(gaps));
  }
}

const squash = (text: string) => text.replace(/\s+/g, '');
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const codePointSlice = (text: string, max: number) => {
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  return text.slice(0, high >= 0xd800 && high <= 0xdbff ? max - 1 : max);
};
const base64 = (data: string | Buffer) => Buffer.from(data).toString('base64');

function pngWithText(keyword: string, text: string): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]);
  };
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', Buffer.alloc(13, 1)),
    chunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** What an import must give: accepted with this text (whitespace aside) and title, refused, or either. */
type Expect = { ok: true; body: string; title?: string; blocks?: string[] } | { ok: false } | { ok: 'any' };
interface ImportCase {
  kind: string;
  arg: Record<string, unknown>;
  expect: Expect;
  /** A chunk edit to try on the imported profile. */
  edit?: 'nul' | 'text' | 'split';
}

function cardCase(d: Draw, png: boolean): ImportCase {
  const name = Array.from({ length: d.int(1, 4) }, () => d.word()).join(' ');
  const fields = { description: d.prose(d.int(1, 3)), personality: d.line(12), scenario: d.line(8) };
  const json = JSON.stringify({ spec: 'chara_card_v2', data: { name, ...fields } });
  const cleanName = oneLine(name);
  const fill = (text: string) =>
    text
      .trim()
      .split(/\{\{char\}\}|<BOT>/i)
      .join(cleanName)
      .split(/\{\{user\}\}|<USER>/i)
      .join('the visitor');
  const body = `## Description ${fill(fields.description)} ## Personality ${fill(fields.personality)} ## Scenario ${fill(fields.scenario)}`;
  const file = png ? pngWithText(d.pick(['chara', 'ccv3']), base64(json)) : Buffer.from(json);
  return {
    kind: png ? 'card-png' : 'card-json',
    arg: { fileName: png ? 'card.png' : 'card.json', fileBase64: base64(file) },
    expect: { ok: true, body, title: codePointSlice(cleanName, 200) },
  };
}

/** The `index`th case of the seeded sequence. */
export function hostileImport(seed: number, index: number): ImportCase {
  const d = new Draw(seededRandom(seed * 1_000_003 + index));
  const kind = d.int(0, 17);
  const prose = d.prose(d.int(1, 12));
  switch (kind) {
    case 0: {
      const title = Array.from({ length: d.int(1, 60) }, () => d.pick(WORDS[d.int(0, 4)]!)).join(' ');
      return {
        kind: 'prose-titled',
        arg: { text: `# ${title}\n\n${prose}` },
        expect: { ok: true, body: prose, title: codePointSlice(oneLine(title), 200) },
        edit: d.pick(['nul', 'text', 'split']),
      };
    }
    case 1: {
      const at = d.int(0, prose.length);
      return { kind: 'nul-in-text', arg: { text: `${prose.slice(0, at)}\0${prose.slice(at)}` }, expect: { ok: false } };
    }
    case 2:
      return {
        kind: 'nul-in-title',
        arg: { text: prose, title: `${d.chance(0.5) ? '\0' : ''}${d.word()}\0${d.line(20)}`.slice(0, 200) },
        expect: { ok: false },
      };
    case 3:
      return {
        kind: 'nul-in-file-name',
        arg: { fileBase64: base64(prose), fileName: `${d.chance(0.5) ? '\0' : ''}notes\0${d.int(0, 9)}.txt` },
        expect: { ok: false },
      };
    case 4: {
      const text = `${d.word()}${' '.repeat(d.int(10_000, 200_000))}${d.word()}${' \t'.repeat(d.int(0, 1000))}\n\n${prose}`;
      return { kind: 'space-run', arg: { text }, expect: { ok: true, body: text }, edit: 'split' };
    }
    case 5: {
      const unit = d.pick(['😀', '👨‍👩‍👧', '🇩🇪', 'e\u0301', '𝄞', '北']);
      const text = `${d.chance(0.5) ? 'x' : ''}${unit.repeat(Math.ceil(d.int(50_000, 130_000) / unit.length))}`;
      return { kind: 'emoji-wall', arg: { text }, expect: { ok: true, body: text } };
    }
    case 6: {
      const text = Array.from({ length: d.int(10_000, 40_000) }, () => d.word()).join(' ');
      return { kind: 'giant-line', arg: { text }, expect: { ok: true, body: text } };
    }
    case 7:
      return cardCase(d, false);
    case 8:
      return cardCase(d, true);
    case 9: {
      const title = d.line(5).replace(/[.!?;]$/, '');
      return {
        kind: 'title-only',
        arg: { text: `# ${title}${'\n'.repeat(d.int(0, 3))}${d.chance(0.5) ? ' \t\n\n' : ''}` },
        expect: { ok: false },
      };
    }
    case 10: {
      const encoding = d.pick(['utf16le', 'utf16be', 'bom8'] as const);
      const bytes =
        encoding === 'bom8'
          ? Buffer.from(`\uFEFF${prose}`)
          : encoding === 'utf16le'
            ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(prose, 'utf16le')])
            : Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(prose, 'utf16le').swap16()]);
      return {
        kind: `file-${encoding}`,
        arg: { fileBase64: base64(bytes), fileName: 'life.txt' },
        expect: { ok: true, body: prose },
      };
    }
    case 11:
      return {
        kind: 'latin1-file',
        arg: { fileBase64: base64(Buffer.from(`Grüße aus Köln. ${d.line(30)}`, 'latin1')), fileName: 'old.txt' },
        expect: { ok: false },
      };
    case 12: {
      const bytes = Buffer.from(Array.from({ length: d.int(1, 20_000) }, () => d.int(0, 255)));
      return {
        kind: 'binary-file',
        arg: { fileBase64: base64(bytes), fileName: d.pick(['a.txt', 'a.md', 'a.json', 'a.png']) },
        expect: { ok: 'any' },
      };
    }
    case 13: {
      const card = cardCase(d, true);
      const png = Buffer.from(card.arg.fileBase64 as string, 'base64');
      const broken = d.chance(0.5) ? png.subarray(0, d.int(8, png.length - 1)) : Buffer.from(png);
      if (broken.length === png.length) for (let i = 0; i < 4; i++) broken[d.int(8, broken.length - 1)] = d.int(0, 255);
      return { kind: 'broken-png', arg: { fileBase64: base64(broken), fileName: 'card.png' }, expect: { ok: 'any' } };
    }
    case 14: {
      const depth = d.int(1_000, 100_000);
      const json = d.pick([
        `${'['.repeat(depth)}${']'.repeat(depth)}`,
        'null',
        '42',
        '"name"',
        '{"name":""}',
        '{"data":[1]}',
        `{"name":"x"`,
      ]);
      return { kind: 'odd-json', arg: { fileBase64: base64(json), fileName: 'card.json' }, expect: { ok: false } };
    }
    case 15: {
      const at = d.int(0, prose.length);
      return {
        kind: 'lone-surrogate',
        arg: { text: `${prose.slice(0, at)}${d.pick(['\ud83d', '\ude00'])}x${prose.slice(at)}` },
        expect: { ok: false },
      };
    }
    case 16: {
      const blocks = Array.from({ length: d.int(2, 30) }, () =>
        d.chance(0.3) ? Array.from({ length: d.int(2, 8) }, () => d.word()).join('\n') : d.paragraph(),
      )
        .map((block) =>
          block
            .split('\n')
            .map((line) => line.replace(/[ \t]+$/, ''))
            .join('\n')
            .trim(),
        )
        .filter((block) => block && !block.startsWith('#'));
      return {
        kind: 'paper-format',
        arg: { text: `# ${d.word()} ${d.word()}\n\n${blocks.join('\n\n')}\n` },
        expect: { ok: true, body: blocks.join(''), blocks },
      };
    }
    default: {
      const text = `${d.word()}${'\n'.repeat(d.int(1, 100_000))}${d.word()}${'\r'.repeat(d.int(1, 1000))}${prose}`;
      return { kind: 'blank-line-run', arg: { text }, expect: { ok: true, body: text }, edit: 'text' };
    }
  }
}

export async function runProfileFuzz(invoke: DoorInvoke, options: FuzzOptions): Promise<FuzzFigures> {
  const figures: FuzzFigures = {
    seed: options.seed,
    cases: 0,
    requests: 0,
    accepted: 0,
    refused: 0,
    hangs: [],
    serverErrors: [],
    corruptions: [],
    wrongOutcomes: [],
    byKind: {},
    medianMs: 0,
    p99Ms: 0,
    slowest: { kind: '', index: -1, ms: 0 },
    megabytesSent: 0,
  };
  const times: number[] = [];
  let label = '';
  const send = async (name: string, arg: unknown): Promise<DoorReply> => {
    figures.megabytesSent += JSON.stringify(arg).length / 1024 / 1024;
    const reply = await invoke(name, arg);
    figures.requests++;
    times.push(reply.ms);
    if (reply.ms > figures.slowest.ms)
      figures.slowest = { kind: label, index: figures.cases, ms: Math.round(reply.ms) };
    if (reply.ms > options.hangMs) figures.hangs.push(`${label} ${name}: ${Math.round(reply.ms)} ms`);
    if (reply.status >= 500)
      figures.serverErrors.push(`${label} ${name}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply;
  };
  const created = await send('characters/create', {
    fullName: `Fuzz ${options.seed}`,
    shortName: 'Fuzz',
    era: '',
    notes: '',
  });
  const characterId = (created.body.result as { id: string }).id;

  for (let index = 0; index < options.cases; index++) {
    const test = hostileImport(options.seed, index);
    label = `#${index} ${test.kind}`;
    figures.cases++;
    figures.byKind[test.kind] = (figures.byKind[test.kind] ?? 0) + 1;
    const reply = await send('profiles/import', { characterId, ...test.arg });
    const profile = reply.status === 200 ? (reply.body.result as Profile) : null;
    if (profile) figures.accepted++;
    else figures.refused++;
    if (test.expect.ok === true && !profile)
      figures.wrongOutcomes.push(`${label} refused: ${reply.body.error?.message}`);
    if (test.expect.ok === false && profile) figures.wrongOutcomes.push(`${label} accepted input it must refuse`);
    if (!profile && reply.status < 500 && !reply.body.error?.message)
      figures.wrongOutcomes.push(`${label} refused without a message`);
    if (profile && test.expect.ok === true) checkProfile(profile, test.expect, label, figures.corruptions);
    if (profile && test.edit) await tryEdit(send, profile, test.edit, label, figures);
    if (profile) await send('profiles/delete', { id: profile.id });
    if (!profile && test.expect.ok !== true) {
      const left = await send('profiles/list', { characterId });
      if ((left.body.result as Profile[]).length > 0)
        figures.corruptions.push(`${label} a refused import left a profile`);
    }
  }
  times.sort((a, b) => a - b);
  figures.medianMs = Math.round(times[Math.floor(times.length / 2)] ?? 0);
  figures.p99Ms = Math.round(times[Math.floor(times.length * 0.99)] ?? 0);
  figures.megabytesSent = Math.round(figures.megabytesSent);
  return figures;
}

function checkProfile(
  profile: Profile,
  expect: Extract<Expect, { ok: true }>,
  label: string,
  corruptions: string[],
): void {
  const texts = profile.chunks.map((chunk) => chunk.text);
  if (squash(texts.join('')) !== squash(expect.body))
    corruptions.push(`${label}: the chunks do not hold the text given`);
  if (texts.some((text) => /\uFFFD|\p{Cs}/u.test(text) || text.length === 0 || text.length > 100_000)) {
    corruptions.push(`${label}: a chunk is empty, too long or holds a broken character`);
  }
  if (expect.title !== undefined && profile.title !== expect.title)
    corruptions.push(`${label}: title ${JSON.stringify(profile.title)}`);
  if (expect.blocks && JSON.stringify(texts) !== JSON.stringify(expect.blocks))
    corruptions.push(`${label}: not split at every blank line`);
}

async function tryEdit(
  send: (name: string, arg: unknown) => Promise<DoorReply>,
  profile: Profile,
  edit: 'nul' | 'text' | 'split',
  label: string,
  figures: FuzzFigures,
): Promise<void> {
  const chunk = profile.chunks[profile.chunks.length - 1]!;
  if (edit === 'split') {
    const offset = Math.max(1, Math.floor(chunk.text.length / 2));
    const reply = await send('chunks/split', { id: chunk.id, offset });
    if (reply.status !== 200) return; // one side would be empty: refused with a message
    const texts = (reply.body.result as Profile).chunks.slice(chunk.position).map((c) => c.text);
    if (squash(texts.join('')) !== squash(chunk.text) || texts.some((t) => /\uFFFD|\p{Cs}/u.test(t))) {
      figures.corruptions.push(`${label}: split at ${offset} changed the text`);
    }
    return;
  }
  const text = edit === 'nul' ? `\0${chunk.text.slice(0, 500)}` : `${codePointSlice(chunk.text, 2000)} 😀 $& edited`;
  const reply = await send('chunks/update', { id: chunk.id, text });
  if (edit === 'nul' && reply.status === 200)
    figures.wrongOutcomes.push(`${label}: a chunk starting with NUL was saved`);
  if (edit === 'text') {
    const saved = (reply.body.result as Profile | undefined)?.chunks[chunk.position]?.text ?? '';
    if (squash(saved) !== squash(text)) figures.corruptions.push(`${label}: an edited chunk came back changed`);
  }
}
