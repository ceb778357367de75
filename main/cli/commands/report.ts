import type {
  Character,
  CharacterId,
  EvalReport,
  OutputsImportReport,
  ReportComparison,
  ReportExportFormat,
  ReportMode,
} from '../../../common/contract';
import { cellText } from '../../core/eval/report-html';
import { pickSystems } from '../eval-names';
import { judgeModelOf } from '../judge-option';
import { argument, findCharacter, localPath, numberOption, str, UsageError, type CliContext } from '../shared';
import { counted } from '../../../common/plural';
import { PAIRWISE_RULE } from '../../../common/pairwise-rule';

const MODE_TITLE: Record<ReportMode, string> = { single: 'Single-turn', multi: 'Multi-turn' };

/** Comma-separated option values, trimmed, empty ones dropped. */
const list = (text: string | undefined) =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * `report <character> [--systems a,b] [--topics topic-1,…] [--mode single|multi]
 * [--judge <provider>[/<model>]] [--seed n] [--json] [--csv <file>] [--html <file>] [--compare <before>,<after>]`: the Evaluate
 * tab's Report; `--compare` prints what changed between two systems instead.
 */
export async function reportCommand(ctx: CliContext): Promise<number> {
  const { call, rest, values, print, io } = ctx;
  const character = await findCharacter(call, argument(rest, 0, '<character>', 'report'));
  const mode = str(values, 'mode');
  if (mode !== undefined && mode !== 'single' && mode !== 'multi') {
    throw new UsageError(`--mode takes single or multi (not "${mode}").`);
  }
  const judge = str(values, 'judge');
  const request = {
    characterId: character.id,
    ...(mode && { modes: [mode] as ReportMode[] }),
    ...(str(values, 'systems') && { systemIds: await systemIds(ctx, character, list(str(values, 'systems'))!) }),
    ...(str(values, 'topics') && { topics: list(str(values, 'topics'))! }),
    ...(judge !== undefined && { judge: await judgeModelOf(call, character.id, judge) }),
    seed: numberOption(str(values, 'seed'), '--seed', 42),
  };
  const compare = list(str(values, 'compare'));
  if (compare) {
    if (compare.length !== 2) throw new UsageError('--compare takes two systems: --compare "<before>,<after>".');
    const [a, b] = await systemIds(ctx, character, compare);
    const { modes, systemIds: _chosen, ...rest } = request;
    const comparison = await call('eval/report-compare', { ...rest, a: a!, b: b!, mode: modes?.[0] ?? 'single' });
    print(comparison, () => describeComparison(comparison));
    return 0;
  }
  for (const format of ['csv', 'html'] as ReportExportFormat[]) {
    const out = str(values, format);
    if (out === undefined) continue;
    const written = await call('eval/report-export', { ...request, format, out: localPath(out) });
    io.err(`Wrote ${written.path} (${Math.round(written.bytes / 1024)} KB).`);
  }
  const report = await call('eval/report', request);
  print(report, () => describeReport(report));
  return 0;
}

/** Systems named by label, id or the start of an id, in the order given. */
async function systemIds(ctx: CliContext, character: Character, names: string[]): Promise<string[]> {
  const all = await ctx.call('eval/systems/list', { characterId: character.id });
  return pickSystems(character, all, names).map((s) => s.id);
}

/** Rows as lines of columns padded to their widest cell, two spaces apart, the head first. */
function textTable(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

/** "judged by gpt-4o", or that nothing is judged yet. */
const judgedBy = (judge: string | null) => (judge ? `judged by ${judge}` : 'not judged yet');

export function describeReport(report: EvalReport): string {
  const lines = [`${report.characterName}: ${counted(report.systems.length, 'system')}`];
  if (report.systems.length === 0)
    lines.push('No systems yet: interview one, or import the paper’s outputs (import-outputs).');
  // Each judge's means apart: scores of two judges are never averaged together.
  const judges = [...new Set(report.cells.map((c) => c.judge))];
  for (const judge of judges) {
    for (const mode of report.settings.modes) {
      const dims = report.dimensions[mode];
      const rows = report.systems.map((s) => [
        s.name,
        String(s.answers[mode]),
        ...dims.map((d) => {
          const cell = report.cells.find(
            (c) => c.systemId === s.id && c.mode === mode && c.dimension === d && c.judge === judge,
          );
          return cell && cell.mean !== null ? `${cellText(cell)} n=${cell.count}` : 'no scores';
        }),
      ]);
      const head = ['system', mode === 'single' ? 'answers' : 'interviews', ...dims];
      lines.push('', `${MODE_TITLE[mode]}, ${judgedBy(judge)} (mean [95% interval] n)`, ...textTable(head, rows));
    }
  }
  const unscored = report.cells.reduce((n, c) => n + c.unscored, 0);
  if (unscored) lines.push('', `${unscored} judgments without a usable score are left out of the means.`);
  lines.push(...describePairwise(report));
  return lines.join('\n');
}

/** Per pair of systems, mode and judge: A wins, ties and B wins per dimension, and the rule they follow. */
export function describePairwise(report: EvalReport): string[] {
  if (report.pairwise.length === 0) return [];
  const name = (id: string) => report.systems.find((s) => s.id === id)?.name ?? id;
  const groups = new Map<string, EvalReport['pairwise']>();
  for (const p of report.pairwise) {
    const key = [p.systemA, p.systemB, p.mode, p.judge].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const lines = ['', `Pairwise (${PAIRWISE_RULE})`];
  for (const rows of groups.values()) {
    const { systemA, systemB, mode, judge } = rows[0]!;
    const [a, b] = [name(systemA), name(systemB)];
    lines.push(
      '',
      `${a} vs ${b}, ${MODE_TITLE[mode]}, ${judgedBy(judge)}`,
      ...textTable(
        ['dimension', `${a} wins`, 'ties', `${b} wins`, 'pairs'],
        rows.map((p) => [
          p.dimension,
          String(p.aWins),
          `${p.ties}${p.inconsistent ? ` (${p.inconsistent} inconsistent)` : ''}`,
          String(p.bWins),
          `${p.pairs}${p.unscored ? ` + ${p.unscored} unscored` : ''}`,
        ]),
      ),
    );
  }
  return lines;
}

/** What changed from `a` to `b`: per judge and dimension both intervals and the change, then the questions that moved most. */
export function describeComparison(c: ReportComparison): string {
  const judges = [...new Set(c.changes.map((ch) => ch.judge))];
  const several = judges.length > 1;
  const rows = c.changes.map((ch) => [
    ch.dimension,
    ...(several ? [ch.judge ?? '—'] : []),
    cellText(ch.a),
    cellText(ch.b),
    ch.delta === null ? '—' : `${ch.delta >= 0 ? '+' : ''}${ch.delta.toFixed(2)}`,
  ]);
  const by = several ? 'each judge apart' : judgedBy(judges[0] ?? null);
  return [
    `What changed from ${c.a.name} to ${c.b.name} (${MODE_TITLE[c.mode]}, ${by}, mean [95% interval])`,
    ...textTable(['dimension', ...(several ? ['judge'] : []), c.a.name, c.b.name, 'change'], rows),
    ...(c.moved.length ? ['', 'Questions whose scores moved most:'] : []),
    ...c.moved
      .slice(0, 10)
      .map((m) => `  ${m.before.toFixed(1)} → ${m.after.toFixed(1)}${several ? ` (${m.judge})` : ''}  ${m.question}`),
  ].join('\n');
}

/**
 * `import-outputs <folder|file…> [--map Short=character …] [--dry-run] [--json]`: the paper's
 * released interview outputs as imported systems. Exit 1 while some short names match no character.
 */
export async function importOutputsCommand(ctx: CliContext): Promise<number> {
  const { call, rest, values, print, io } = ctx;
  if (rest.length === 0) throw new UsageError('Missing <folder|file…> for import-outputs.');
  const map: Record<string, CharacterId> = {};
  const given = values.map;
  for (const entry of Array.isArray(given) ? given : typeof given === 'string' ? [given] : []) {
    const at = entry.indexOf('=');
    if (at <= 0 || at === entry.length - 1) {
      throw new UsageError(`--map takes Short=character (e.g. --map Hermonie=Hermione), not "${entry}".`);
    }
    map[entry.slice(0, at).trim()] = (await findCharacter(call, entry.slice(at + 1).trim())).id;
  }
  const report = await call('eval/import-outputs', {
    paths: rest.map(localPath),
    map,
    ...(values['dry-run'] === true && { dryRun: true }),
  });
  print(report, () => describeOutputsImport(report));
  if (report.unmatched.length && !values.json) {
    io.err(
      `Say which character each is, e.g. ${report.unmatched.map((u) => `--map ${u.short}=<character>`).join(' ')}, and run again.`,
    );
  }
  return report.unmatched.length ? 1 : 0;
}

export function describeOutputsImport(r: OutputsImportReport): string {
  const verb = r.dryRun ? 'Would import' : 'Imported';
  const lines = r.systems.map(
    (s) =>
      `${verb} ${s.short} ${s.system}: ${s.single} single-turn answers, ${s.multi} multi-turn interviews` +
      `${s.thoughtRounds ? `, ${s.thoughtRounds} rounds with thoughts (${s.thoughtOnlyRounds} thought only)` : ''}` +
      `${s.nonstop ? `, ${s.nonstop} cut at the token limit (<|NONSTOP|>)` : ''}.`,
  );
  if (r.systems.length === 0) lines.push(`${verb} nothing.`);
  for (const u of r.unmatched)
    lines.push(`No character for "${u.short}" (${counted(u.files.length, 'file')}): not imported.`);
  for (const o of r.oddLabels.slice(0, 10))
    lines.push(`  ${o.file}, line ${o.line}: action ${o.label} read as ${o.readAs}`);
  if (r.oddLabels.length > 10) lines.push(`  … and ${r.oddLabels.length - 10} more odd labels (see --json).`);
  lines.push(...r.notices.filter((n) => !n.startsWith('Not imported')));
  return lines.join('\n');
}
