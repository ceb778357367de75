import type { ReactNode } from 'react';
import type { TooltipContentProps, TooltipValueType, XAxisTickContentProps } from 'recharts';
import '../../charts.css';

/**
 * The studio's charts are recharts, themed by CSS (charts.css): series colours are variables that
 * follow the light and dark schemes, and recharts' own axis, grid and cursor elements are styled
 * by class. These are the props and pieces every chart shares.
 */
export const SERIES = {
  primary: 'var(--chart-1)',
  secondary: 'var(--chart-2)',
  third: 'var(--chart-3)',
  fourth: 'var(--chart-4)',
  muted: 'var(--chart-muted)',
} as const;

/** Axis props: small muted ticks, no tick marks, the axis line in the grid's family. */
export const AXIS = { tickLine: false, tick: { fontSize: 11 }, minTickGap: 4 } as const;

/** Room under a category axis drawn with `everyLabel`: two rows of labels. */
export const TWO_ROW_AXIS_HEIGHT = 40;

/**
 * Category-axis props that draw every label (recharts drops a label that would touch its neighbour,
 * so a narrow chart lost "personality" from five dimensions): when the band is narrower than the
 * longest of `labels` (estimated from its characters at 11 px), every other label sits a row lower.
 */
export function everyLabel(labels: readonly string[]) {
  const longest = Math.max(0, ...labels.map((label) => label.length)) * 11 * 0.6;
  const tick = (props: XAxisTickContentProps) => {
    const width = typeof props.width === 'number' ? props.width : 0;
    const band = width / Math.max(1, props.visibleTicksCount);
    const lower = band < longest + 8 && props.index % 2 === 1;
    return (
      <text
        x={props.x}
        y={props.y}
        dy={lower ? 24 : 11}
        textAnchor="middle"
        className="recharts-cartesian-axis-tick-value"
        data-testid="axis-label"
      >
        {String(props.payload.value)}
      </text>
    );
  };
  return { ...AXIS, interval: 0, tick, height: TWO_ROW_AXIS_HEIGHT } as const;
}

/** Charts redraw with every refetch and every training step: no enter animation. */
export const STILL = { isAnimationActive: false } as const;

export const formatCount = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A compact tick label: 1,200 · 12k · 1.2M. */
export function formatTick(n: number): string {
  if (Math.abs(n) >= 1_000_000) return `${Number((n / 1_000_000).toPrecision(3))}M`;
  if (Math.abs(n) >= 10_000) return `${Math.round(n / 1000)}k`;
  return formatCount(n);
}

export const percent = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.1 ? 1 : 0)}%`;

/**
 * A chart in a card: a title, facts beside it, the chart (or a line saying why there is none yet),
 * and an optional note. `label` is the chart's text alternative for screen readers.
 */
export function ChartCard({
  title,
  facts,
  label,
  empty,
  note,
  testId,
  className,
  children,
}: {
  title: string;
  facts?: ReactNode;
  label: string;
  empty?: string | null;
  note?: ReactNode;
  testId?: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <figure className={className ? `chart-card ${className}` : 'chart-card'} data-testid={testId} aria-label={label}>
      <figcaption>
        <span className="chart-title">{title}</span>
        {facts && <span className="chart-facts">{facts}</span>}
      </figcaption>
      {empty ? <p className="chart-empty">{empty}</p> : children}
      {note && <p className="chart-note">{note}</p>}
    </figure>
  );
}

/**
 * A tooltip content renderer for recharts' `<Tooltip content>`: the hovered datum (the first
 * series' payload row) rendered by `render`, in the studio's tooltip box.
 */
export function tipFor<T>(render: (datum: T) => ReactNode) {
  function Tip({ active, payload }: TooltipContentProps<TooltipValueType, string | number>) {
    const datum = payload?.[0]?.payload as T | undefined;
    if (!active || datum === undefined) return null;
    return (
      <div className="chart-tip" role="status">
        {render(datum)}
      </div>
    );
  }
  return Tip;
}

/** A coloured key beside a label, for tooltips and legends. */
export function Swatch({ color }: { color: string }) {
  return <span className="swatch" style={{ background: color }} aria-hidden="true" />;
}

/** A legend of coloured keys, each with its label (and any extra text after them). */
export function ChartLegend({
  items,
  children,
}: {
  items: readonly [color: string, label: ReactNode][];
  children?: ReactNode;
}) {
  return (
    <span className="chart-legend">
      {items.map(([color, label], i) => (
        <span key={i}>
          <Swatch color={color} />
          {label}
        </span>
      ))}
      {children}
    </span>
  );
}
