import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DatasetCharts, Histogram, HistogramBin, SpeakerShare, TurnKind } from '../../../../../common/contract';
import { plural } from '../../../../../common/plural';
import {
  AXIS,
  ChartCard,
  ChartLegend,
  SERIES,
  STILL,
  Swatch,
  formatCount,
  formatTick,
  percent,
  tipFor,
} from '../../charts/chart-kit';

/** "10–19", "7", "≥ 300": a bin's range in whole units. */
export function binLabel(bin: HistogramBin): string {
  if (bin.to === null) return `≥ ${formatCount(bin.from)}`;
  return bin.to - bin.from === 1 ? formatCount(bin.from) : `${formatCount(bin.from)}–${formatCount(bin.to - 1)}`;
}

interface BinRow {
  label: string;
  count: number;
  share: number;
}

/**
 * A histogram as bars, one per bin in order (gaps show as empty bars). `of` names what is counted
 * (scenes, turns, examples), `unit` what the axis measures.
 */
export function HistogramChart({
  title,
  histogram,
  of,
  note,
  testId,
}: {
  title: string;
  histogram: Histogram;
  of: string;
  note?: string;
  testId: string;
}) {
  const rows: BinRow[] = histogram.bins.map((b) => ({
    label: binLabel(b),
    count: b.count,
    share: histogram.count === 0 ? 0 : b.count / histogram.count,
  }));
  const facts = [
    `mean ${formatCount(histogram.mean, 1)}`,
    ...(histogram.median === null ? [] : [`median ${formatCount(histogram.median)}`]),
    ...(histogram.max === null ? [] : [`max ${formatCount(histogram.max)}`]),
  ].join(' · ');
  return (
    <ChartCard
      title={title}
      facts={histogram.count > 0 ? facts : undefined}
      label={`${title}: ${rows.map((r) => `${r.label} ${histogram.unit}: ${r.count} ${of}`).join('; ')}`}
      empty={histogram.count === 0 ? `No ${of} yet.` : null}
      note={note}
      testId={testId}
    >
      <ResponsiveContainer width="100%" height={190}>
        <BarChart data={rows} margin={{ top: 6, right: 8, bottom: 14, left: 0 }} barCategoryGap={2}>
          <CartesianGrid vertical={false} />
          <XAxis
            {...AXIS}
            dataKey="label"
            interval="preserveStartEnd"
            label={{ value: histogram.unit, position: 'insideBottom', offset: -10 }}
          />
          <YAxis {...AXIS} width={44} allowDecimals={false} tickFormatter={formatTick} />
          <Tooltip
            {...STILL}
            content={tipFor<BinRow>((r) => (
              <>
                <span className="tip-title">
                  {r.label} {histogram.unit}
                </span>
                <span>
                  <strong>{formatCount(r.count)}</strong> {of} ({percent(r.share)})
                </span>
              </>
            ))}
          />
          <Bar {...STILL} dataKey="count" fill={SERIES.primary} radius={[3, 3, 0, 0]} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

interface SpeakerRow extends SpeakerShare {
  label: string;
  share: number;
  others?: number;
}

/** Speakers by turns: the character in the accent colour, the rest in the second, everyone else summed. */
export function SpeakersChart({ charts }: { charts: DatasetCharts }) {
  const total = charts.speakers.reduce((n, s) => n + s.turns, 0) + charts.others.turns;
  const rows: SpeakerRow[] = charts.speakers.map((s) => ({
    ...s,
    label: s.speaker.length > 18 ? `${s.speaker.slice(0, 17)}…` : s.speaker,
    share: total === 0 ? 0 : s.turns / total,
  }));
  const others = charts.others.speakers;
  if (others > 0)
    rows.push({
      speaker: `${formatCount(others)} other ${plural(others, 'speaker')}`,
      label: `${formatCount(others)} ${plural(others, 'other')}`,
      character: false,
      turns: charts.others.turns,
      words: charts.others.words,
      share: total === 0 ? 0 : charts.others.turns / total,
      others,
    });
  return (
    <ChartCard
      title="Speakers"
      facts={total > 0 ? `${formatCount(charts.speakers.length + charts.others.speakers)} speakers` : undefined}
      label={`Speakers by turns: ${rows.map((r) => `${r.speaker} ${r.turns}`).join('; ')}`}
      empty={total === 0 ? 'No turns yet.' : null}
      testId="chart-speakers"
    >
      <ResponsiveContainer width="100%" height={Math.max(120, rows.length * 24 + 24)}>
        <BarChart data={rows} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 0 }} barCategoryGap={4}>
          <CartesianGrid horizontal={false} />
          <XAxis {...AXIS} type="number" allowDecimals={false} tickFormatter={formatTick} />
          <YAxis {...AXIS} type="category" dataKey="label" width={118} interval={0} />
          <Tooltip
            {...STILL}
            content={tipFor<SpeakerRow>((r) => (
              <>
                <span className="tip-title">
                  {r.speaker}
                  {r.character ? ' (the character)' : ''}
                </span>
                <span>
                  <strong>{formatCount(r.turns)}</strong> turns ({percent(r.share)}), {formatCount(r.words)} words
                </span>
              </>
            ))}
          />
          <Bar {...STILL} dataKey="turns" radius={[0, 3, 3, 0]}>
            {rows.map((r) => (
              <Cell
                key={r.speaker}
                fill={r.character ? SERIES.primary : r.others !== undefined ? SERIES.muted : SERIES.secondary}
              />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

const KIND_COLORS: Record<TurnKind, string> = {
  speaking: SERIES.primary,
  thinking: SERIES.third,
  action: SERIES.fourth,
};
const KINDS: TurnKind[] = ['speaking', 'thinking', 'action'];

type KindRow = { measure: string; total: number } & Record<TurnKind, number>;

/** Speaking, thinking and action as shares of all turns and of all words: two stacked 100% bars. */
export function KindsChart({ charts }: { charts: DatasetCharts }) {
  const measure = (name: string, pick: 'turns' | 'words'): KindRow => {
    const row = { measure: name, total: 0, speaking: 0, thinking: 0, action: 0 };
    for (const kind of KINDS) {
      row[kind] = charts.kinds[kind][pick];
      row.total += row[kind];
    }
    return row;
  };
  const rows = [measure('Turns', 'turns'), measure('Words', 'words')];
  const turns = rows[0]!.total;
  return (
    <ChartCard
      title="Thinking versus speaking"
      label={`Shares of turns: ${KINDS.map((k) => `${k} ${percent(turns === 0 ? 0 : rows[0]![k] / turns)}`).join(', ')}`}
      empty={turns === 0 ? 'No turns yet.' : null}
      testId="chart-kinds"
      note={
        <ChartLegend
          items={KINDS.map((k) => [KIND_COLORS[k], `${k} ${percent(turns === 0 ? 0 : rows[0]![k] / turns)} of turns`])}
        />
      }
    >
      <ResponsiveContainer width="100%" height={104}>
        <BarChart data={rows} layout="vertical" stackOffset="expand" margin={{ top: 0, right: 16, bottom: 0, left: 0 }}>
          <XAxis {...AXIS} type="number" tickFormatter={(v: number) => percent(v)} ticks={[0, 0.25, 0.5, 0.75, 1]} />
          <YAxis {...AXIS} type="category" dataKey="measure" width={52} />
          <Tooltip
            {...STILL}
            content={tipFor<KindRow>((r) => (
              <>
                <span className="tip-title">{r.measure}</span>
                {KINDS.map((k) => (
                  <span key={k}>
                    <Swatch color={KIND_COLORS[k]} />
                    {k} <strong>{formatCount(r[k])}</strong> ({percent(r.total === 0 ? 0 : r[k] / r.total)})
                  </span>
                ))}
              </>
            ))}
          />
          {KINDS.map((k) => (
            <Bar {...STILL} key={k} dataKey={k} stackId="kinds" fill={KIND_COLORS[k]} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}
