import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChunkCoverage, DatasetCharts, DatasetStats, FormatProblemCode } from '../../../../../common/contract';
import {
  AXIS,
  ChartCard,
  SERIES,
  STILL,
  ChartLegend,
  formatCount,
  formatTick,
  percent,
  tipFor,
} from '../../charts/chart-kit';
import { PROBLEM_LABELS } from '../FormatProblems';

interface StageRow {
  stage: string;
  experiences: number;
  waiting: number;
  /** Rejected before their experience was written: neither written nor waiting. */
  dropped: number;
  scenes: number;
  rejected: number;
}

/** Scenes per pipeline stage: normal and protective, each split into written, waiting and rejected. */
export function StageChart({ charts }: { charts: DatasetCharts }) {
  const row = (stage: string, s: DatasetCharts['normal']): StageRow => ({
    stage: `${stage} ${formatCount(s.scenes)}`,
    experiences: s.experiences,
    waiting: s.waiting,
    dropped: s.scenes - s.experiences - s.waiting,
    scenes: s.scenes,
    rejected: s.rejected,
  });
  const rows = [row('Normal', charts.normal), row('Protective', charts.protective)];
  const share = charts.protectiveShare;
  return (
    <ChartCard
      title="By stage"
      facts={
        <>
          protective <strong>{percent(share)}</strong> of scenes (the paper: 1–5%)
        </>
      }
      label={`Scenes by stage: ${rows.map((r) => `${r.stage} scenes, ${r.experiences} with their experience, ${r.waiting} waiting`).join('; ')}`}
      testId="chart-stages"
      note={
        <ChartLegend
          items={[
            [SERIES.primary, 'with experience'],
            [SERIES.muted, 'waiting for it'],
            [SERIES.secondary, 'rejected before it'],
          ]}
        />
      }
    >
      <ResponsiveContainer width="100%" height={104}>
        <BarChart data={rows} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 0 }} barCategoryGap={10}>
          <CartesianGrid horizontal={false} />
          <XAxis {...AXIS} type="number" allowDecimals={false} tickFormatter={formatTick} />
          <YAxis {...AXIS} type="category" dataKey="stage" width={104} />
          <Tooltip
            {...STILL}
            content={tipFor<StageRow>((r) => (
              <>
                <span className="tip-title">{r.stage} scenes</span>
                <span>
                  <strong>{formatCount(r.experiences)}</strong> with their experience
                </span>
                <span>
                  <strong>{formatCount(r.waiting)}</strong> waiting for it
                </span>
                <span>
                  <strong>{formatCount(r.rejected)}</strong> rejected in review
                </span>
              </>
            ))}
          />
          <Bar {...STILL} dataKey="experiences" stackId="s" fill={SERIES.primary} />
          <Bar {...STILL} dataKey="waiting" stackId="s" fill={SERIES.muted} />
          <Bar {...STILL} dataKey="dropped" stackId="s" fill={SERIES.secondary} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

interface ChunkRow extends ChunkCoverage {
  waiting: number;
}

/** Scenes per profile chunk in the profile's order: a bar per chunk, so the parts of the life without scenes show. */
export function CoverageChart({ charts }: { charts: DatasetCharts }) {
  const rows: ChunkRow[] = charts.chunks.map((c) => ({ ...c, waiting: c.scenes - c.experiences }));
  const bare = rows.filter((r) => r.scenes + r.protective === 0).length;
  // No chunk has a scene (or there are no chunks): a line says why instead of a chart of zeros.
  const nothing = bare === rows.length;
  return (
    <ChartCard
      className="wide"
      title="Coverage of the life"
      facts={
        rows.length > 0 ? (
          <>
            scenes per profile chunk · <strong>{formatCount(rows.length)}</strong> chunks
            {bare > 0 && (
              <>
                , <strong>{formatCount(bare)}</strong> without any scene
              </>
            )}
          </>
        ) : undefined
      }
      label={`Scenes per profile chunk: ${rows.map((r) => `chunk ${r.number} ${r.scenes + r.protective}`).join('; ')}`}
      empty={
        rows.length === 0
          ? 'No profile yet: add one on the Profile tab to see which parts of the life the scenes cover.'
          : nothing
            ? `No scene was imagined from a profile chunk yet${
                charts.withoutChunk > 0 ? ' (those here were imported or written by hand)' : ''
              }: a generation run's scenes show here under the chunk they came from.`
            : null
      }
      testId="chart-coverage"
      note={
        !nothing && (
          <ChartLegend
            items={[
              [SERIES.primary, 'with experience'],
              [SERIES.muted, 'waiting'],
              [SERIES.secondary, 'protective'],
            ]}
          >
            {charts.withoutChunk > 0 && (
              <span>
                {charts.withoutChunk === 1 ? 'One scene has' : `${formatCount(charts.withoutChunk)} scenes have`} no
                chunk (imported, written by hand, or its chunk was deleted)
              </span>
            )}
            {charts.protectiveWithoutChunk > 0 && (
              <span>
                {charts.protectiveWithoutChunk === 1
                  ? 'One protective scene comes'
                  : `${formatCount(charts.protectiveWithoutChunk)} protective scenes come`}{' '}
                from what the character cannot know, not from a chunk
              </span>
            )}
          </ChartLegend>
        )
      }
    >
      <ResponsiveContainer width="100%" height={180}>
        <BarChart
          data={rows}
          margin={{ top: 6, right: 8, bottom: 14, left: 0 }}
          barCategoryGap={rows.length > 60 ? 0 : 2}
        >
          <CartesianGrid vertical={false} />
          <XAxis
            {...AXIS}
            dataKey="number"
            interval="preserveStartEnd"
            minTickGap={14}
            label={{ value: 'chunk', position: 'insideBottom', offset: -10 }}
          />
          <YAxis {...AXIS} width={44} allowDecimals={false} tickFormatter={formatTick} />
          <Tooltip
            {...STILL}
            content={tipFor<ChunkRow>((r) => (
              <>
                <span className="tip-title">
                  Chunk {r.number} · {formatCount(r.words)} words
                </span>
                <span className="tip-text">{r.head.length > 120 ? `${r.head.slice(0, 119)}…` : r.head}</span>
                <span>
                  <strong>{formatCount(r.scenes)}</strong> scenes, {formatCount(r.experiences)} with their experience
                </span>
                {r.protective > 0 && <span>{formatCount(r.protective)} protective</span>}
              </>
            ))}
          />
          <Bar {...STILL} dataKey="experiences" stackId="c" fill={SERIES.primary} />
          <Bar {...STILL} dataKey="waiting" stackId="c" fill={SERIES.muted} />
          <Bar {...STILL} dataKey="protective" stackId="c" fill={SERIES.secondary} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

interface ProblemRow {
  code: FormatProblemCode;
  label: string;
  count: number;
}

/** Format problems on stored experiences by kind, most frequent first. */
export function ProblemsChart({ stats }: { stats: DatasetStats }) {
  const rows: ProblemRow[] = (Object.entries(stats.problems) as [FormatProblemCode, number][])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => ({ code, label: PROBLEM_LABELS[code], count }));
  return (
    <ChartCard
      className="wide"
      title="Problems by kind"
      facts={
        stats.experiencesWithProblems > 0 ? (
          <>
            <strong>{formatCount(stats.experiencesWithProblems)}</strong> of {formatCount(stats.experiences)}{' '}
            experiences
          </>
        ) : undefined
      }
      label={`Format problems by kind: ${rows.map((r) => `${r.label} ${r.count}`).join('; ') || 'none'}`}
      empty={rows.length === 0 ? 'Every experience fits the format.' : null}
      testId="chart-problems"
    >
      <ResponsiveContainer width="100%" height={Math.max(100, rows.length * 26 + 24)}>
        <BarChart data={rows} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 0 }} barCategoryGap={4}>
          <CartesianGrid horizontal={false} />
          <XAxis {...AXIS} type="number" allowDecimals={false} tickFormatter={formatTick} />
          <YAxis {...AXIS} type="category" dataKey="label" width={150} interval={0} />
          <Tooltip
            {...STILL}
            content={tipFor<ProblemRow>((r) => (
              <span>
                {r.label}: <strong>{formatCount(r.count)}</strong>
              </span>
            ))}
          />
          <Bar {...STILL} dataKey="count" fill="var(--danger)" radius={[0, 3, 3, 0]} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}
