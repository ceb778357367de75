import type { CharacterFigures, DatasetCharts, Histogram, PaperFigures, PaperRange } from '../../../common/contract';
import { counted } from '../../../common/plural';

/** Widest bar of a text chart, in block characters. */
const BAR_WIDTH = 32;
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

const num = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** A bar of `value` out of `max`, in eighths of a block so small differences still show. */
export function textBar(value: number, max: number, width = BAR_WIDTH): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}

/** Rows of `label  bar  value`, labels padded to one column. */
function barRows(rows: readonly { label: string; value: number; note?: string }[]): string[] {
  const max = Math.max(0, ...rows.map((r) => r.value));
  const labelWidth = Math.max(...rows.map((r) => r.label.length));
  return rows.map(
    (r) =>
      `  ${r.label.padStart(labelWidth)}  ${textBar(r.value, max).padEnd(BAR_WIDTH + 1)} ${num(r.value)}${r.note ?? ''}`,
  );
}

function binLabel(from: number, to: number | null): string {
  if (to === null) return `≥ ${num(from)}`;
  return to - from === 1 ? num(from) : `${num(from)}–${num(to - 1)}`;
}

export function histogramText(title: string, h: Histogram, of: string): string[] {
  if (h.count === 0) return [`${title}: none yet.`];
  const facts = [
    `${num(h.count)} ${of}`,
    `mean ${num(h.mean, 1)}`,
    ...(h.median === null ? [] : [`median ${num(h.median)}`]),
    ...(h.max === null ? [] : [`max ${num(h.max)}`]),
  ];
  return [
    `${title} (${facts.join(', ')})`,
    ...barRows(h.bins.map((b) => ({ label: binLabel(b.from, b.to), value: b.count }))),
  ];
}

/** The Statistics view as text: stages, coverage, the three histograms, speakers and kinds. */
export function chartsText(charts: DatasetCharts): string {
  const { normal, protective } = charts;
  const stage = (name: string, s: DatasetCharts['normal']) =>
    `  ${name.padEnd(11)} ${num(s.scenes).padStart(7)} scenes, ${num(s.experiences)} with their experience, ${num(s.waiting)} waiting, ${num(s.rejected)} rejected`;
  const turns = charts.kinds.speaking.turns + charts.kinds.thinking.turns + charts.kinds.action.turns;
  const words = charts.kinds.speaking.words + charts.kinds.thinking.words + charts.kinds.action.words;
  const coverage = charts.chunks.map((c) => ({
    label: `#${c.number}`,
    value: c.scenes + c.protective,
    note: `  ${c.head.slice(0, 48)}${c.head.length > 48 ? '…' : ''}`,
  }));
  const uncovered = charts.chunks.filter((c) => c.scenes + c.protective === 0).length;
  const apart = [
    ...(charts.withoutChunk > 0 ? [`${counted(charts.withoutChunk, 'scene')} without a chunk`] : []),
    ...(charts.protectiveWithoutChunk > 0
      ? [`${counted(charts.protectiveWithoutChunk, 'protective scene')} from the character's limits, not a chunk`]
      : []),
  ];
  return [
    'By stage',
    stage('Normal', normal),
    stage('Protective', protective),
    `  Protective share ${percent(charts.protectiveShare)} of all scenes (the paper: 1–5%)`,
    '',
    `Coverage of the life: scenes per profile chunk (${num(charts.chunks.length)} chunks, ${num(uncovered)} without any scene${apart.map((a) => `; ${a}`).join('')})`,
    ...(coverage.length === 0 ? ['  No profile yet.'] : barRows(coverage)),
    '',
    ...histogramText('Turns per scene', charts.turnsPerScene, 'experiences'),
    '',
    ...histogramText('Words per turn', charts.wordsPerTurn, 'turns'),
    '',
    ...histogramText('Tokens per example, estimated at 4 characters a token', charts.tokensPerExample, 'examples'),
    '',
    'Speakers by turns',
    ...barRows([
      ...charts.speakers.map((s) => ({ label: s.character ? `${s.speaker} (character)` : s.speaker, value: s.turns })),
      ...(charts.others.speakers > 0
        ? [{ label: `${num(charts.others.speakers)} others`, value: charts.others.turns }]
        : []),
    ]),
    '',
    'Turns by kind',
    ...(['speaking', 'thinking', 'action'] as const).map(
      (kind) =>
        `  ${kind.padEnd(9)} ${percent(turns === 0 ? 0 : charts.kinds[kind].turns / turns).padStart(6)} of turns, ${percent(words === 0 ? 0 : charts.kinds[kind].words / words).padStart(6)} of words`,
    ),
  ].join('\n');
}

const range = (r: PaperRange, format: (n: number) => string) =>
  r.low === r.high ? format(r.low) : `${format(r.low)}–${format(r.high)}`;
/** 1.5K, 13.7K, 1,038K: the paper's way of writing its figures. */
const short = (n: number) => (n >= 1_000 ? `${num(n / 1000, n % 1000 === 0 ? 0 : 1)}K` : num(n));

/** The paper's per-character table for every character, with the paper's own figures as the last row. */
export function compareText(characters: readonly CharacterFigures[], paper: PaperFigures): string {
  const header = [
    'Character',
    'Chunks',
    'Profile words',
    'Scenes',
    'Protective',
    'Experiences',
    'Words',
    'Turns/scene',
    'Words/scene',
  ];
  const rows = characters.map((c) => [
    c.fullName,
    num(c.chunks),
    num(c.profileWords),
    num(c.scenes),
    c.scenes === 0 ? '0' : `${num(c.protectiveScenes)} (${percent(c.protectiveScenes / c.scenes)})`,
    num(c.experiences),
    num(c.words),
    num(c.avgTurnsPerScene, 1),
    num(c.avgWordsPerScene),
  ]);
  rows.push([
    'The paper (per character)',
    range(paper.chunks, num),
    range(paper.profileWords, short),
    range(paper.scenes, short),
    `${range(paper.protectiveShare, (n) => num(n * 100))}%`,
    '',
    range(paper.words, short),
    range(paper.avgTurnsPerScene, (n) => num(n, 1)),
    '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
