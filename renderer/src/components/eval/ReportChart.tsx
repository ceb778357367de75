import { Bar, BarChart, CartesianGrid, ErrorBar, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EvalReport, ReportCell, ReportMode } from '../../../../common/contract';
import { AXIS, ChartCard, ChartLegend, everyLabel, STILL, tipFor } from '../charts/chart-kit';

/** Series colours by system order: the chart palette, then more distinct hues for 5+ systems. */
export const SYSTEM_COLORS = [
  'var(--chart-1)',
  'var(--chart-2)',
  'var(--chart-3)',
  'var(--chart-4)',
  '#b5489b',
  '#5b8c3a',
  '#c44e52',
  '#7a6bd1',
];
export const colorOf = (index: number) => SYSTEM_COLORS[index % SYSTEM_COLORS.length]!;

export const MODE_TITLE: Record<ReportMode, string> = { single: 'Single-turn', multi: 'Multi-turn' };

/** `5.12 [4.90, 5.31]`, or null for an empty cell (shown as "no scores", never 0). */
export function cellText(cell: ReportCell | undefined): string | null {
  if (!cell || cell.mean === null || cell.low === null || cell.high === null) return null;
  return `${cell.mean.toFixed(2)} [${cell.low.toFixed(2)}, ${cell.high.toFixed(2)}]`;
}

/** The cell of a system, mode and dimension by one judge (every judge's cells are apart). */
export function findCell(
  report: EvalReport,
  systemId: string,
  mode: ReportMode,
  dimension: string,
  judge: string | null,
) {
  return report.cells.find(
    (c) => c.systemId === systemId && c.mode === mode && c.dimension === dimension && c.judge === judge,
  );
}

/** The judges the report's cells are by, in its order; [null] while nothing is judged. */
export const judgesOf = (report: EvalReport) => [...new Set(report.cells.map((c) => c.judge))];

interface Row {
  dimension: string;
  [key: string]: string | number | [number, number] | undefined;
}

/**
 * Grouped bars with 95% error bars: one group per dimension, one bar per system, on the judge's
 * 1–7 scale. An empty cell has no bar (and says so in the tooltip and the legend).
 */
export function ReportChart({ report, mode, judge }: { report: EvalReport; mode: ReportMode; judge: string | null }) {
  const dimensions = report.dimensions[mode];
  const rows: Row[] = dimensions.map((dimension) => {
    const row: Row = { dimension };
    for (const s of report.systems) {
      const cell = findCell(report, s.id, mode, dimension, judge);
      if (!cell || cell.mean === null) continue;
      row[s.id] = cell.mean;
      row[`${s.id}:err`] = [cell.mean - cell.low!, cell.high! - cell.mean];
    }
    return row;
  });
  const empty = report.systems.filter((s) =>
    dimensions.every((d) => findCell(report, s.id, mode, d, judge)?.mean == null),
  );
  const anything = empty.length < report.systems.length;
  const label = `${MODE_TITLE[mode]} mean scores${judge ? `, judged by ${judge}` : ''}: ${report.systems
    .map(
      (s) =>
        `${s.name} ${dimensions.map((d) => `${d} ${cellText(findCell(report, s.id, mode, d, judge)) ?? 'no scores'}`).join(', ')}`,
    )
    .join('; ')}`;
  return (
    <ChartCard
      title={`${MODE_TITLE[mode]}`}
      facts={
        <ChartLegend items={report.systems.map((s, i) => [colorOf(i), s.name] as const)}>
          {empty.length > 0 && <span className="muted">no scores: {empty.map((s) => s.name).join(', ')}</span>}
        </ChartLegend>
      }
      label={label}
      empty={report.systems.length === 0 ? 'No systems yet.' : anything ? null : 'No scores yet in this mode.'}
      note="Mean score (1–7) with its 95% bootstrap interval."
      testId={`report-chart-${mode}`}
      className="report-chart"
    >
      <ResponsiveContainer width="100%" height={240}>
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 4, left: 0 }} barCategoryGap="18%">
          <CartesianGrid vertical={false} />
          <XAxis {...everyLabel(dimensions)} dataKey="dimension" />
          <YAxis {...AXIS} width={28} domain={[1, 7]} ticks={[1, 2, 3, 4, 5, 6, 7]} allowDataOverflow />
          <Tooltip
            {...STILL}
            content={tipFor<Row>((r) => (
              <>
                <span className="tip-title">{r.dimension}</span>
                {report.systems.map((s) => {
                  const cell = findCell(report, s.id, mode, r.dimension, judge);
                  return (
                    <span key={s.id}>
                      {s.name}: {cellText(cell) ?? 'no scores'}
                      {cell && cell.count > 0 && ` · n=${cell.count}`}
                    </span>
                  );
                })}
              </>
            ))}
          />
          {report.systems.map((s, i) => (
            // A mean of 1, the scale's floor, still draws a sliver: a bar of no height read as "no scores".
            <Bar key={s.id} dataKey={s.id} name={s.name} fill={colorOf(i)} minPointSize={3} {...STILL}>
              <ErrorBar dataKey={`${s.id}:err`} width={4} strokeWidth={1.4} stroke="var(--text)" />
            </Bar>
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}
