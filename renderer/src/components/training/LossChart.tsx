import { useMemo } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { TrainingPoint } from '../../../../common/contract';
import { AXIS, SERIES, STILL } from '../charts/chart-kit';
import { downsample, formatLoss, formatStep, lossAxis, lossRows, nearest, series, type XY } from './loss-series';

const HEIGHT = 220;
/** Points drawn at most; thousands of steps become means with their range as a band. */
const MAX_DRAWN = 320;
/** Eval points get a dot each while they are few enough to tell apart. */
const EVAL_DOTS = 60;

/**
 * Train loss as a line and eval loss as dots joined by a dashed line, over optimizer steps. The x
 * axis runs to the run's planned total, so the line grows to the right as training goes on; the
 * tooltip names the nearest train and eval points to the pointer.
 */
export function LossChart({ points, totalSteps }: { points: readonly TrainingPoint[]; totalSteps: number }) {
  const { train, evaluation } = useMemo(() => series(points), [points]);
  const trainDrawn = useMemo(() => downsample(train, MAX_DRAWN), [train]);
  const evalDrawn = useMemo(() => downsample(evaluation, MAX_DRAWN), [evaluation]);
  const rows = useMemo(() => lossRows(trainDrawn, evalDrawn), [trainDrawn, evalDrawn]);
  const axis = useMemo(() => lossAxis([...train, ...evaluation].map((p) => p.y)), [train, evaluation]);
  const bucketed = trainDrawn.length < train.length;
  const lastStep = Math.max(train.at(-1)?.x ?? 0, evaluation.at(-1)?.x ?? 0);
  const xMax = Math.max(totalSteps, lastStep, 1);

  const latest = train.at(-1);
  const latestEval = evaluation.at(-1);
  const summary =
    train.length + evaluation.length === 0
      ? 'Loss chart: no points yet.'
      : `Loss chart: ${train.length} training points${latest ? `, latest loss ${formatLoss(latest.y)} at step ${latest.x}` : ''}${latestEval ? `, latest eval loss ${formatLoss(latestEval.y)}` : ''}.`;

  return (
    <figure className="chart-card loss-chart" data-testid="loss-chart" data-points={train.length} aria-label={summary}>
      <figcaption>
        <span className="loss-title">Loss</span>
        <span className="legend">
          <span className="key train" aria-hidden="true" /> train
          {latest ? <strong>{formatLoss(latest.y)}</strong> : <span className="muted">—</span>}
          <span className="key eval" aria-hidden="true" /> eval
          {latestEval ? <strong>{formatLoss(latestEval.y)}</strong> : <span className="muted">—</span>}
        </span>
      </figcaption>
      {rows.length === 0 ? (
        <p className="chart-empty" style={{ height: HEIGHT }}>
          The loss appears here after the first optimizer steps.
        </p>
      ) : (
        <div className="loss-box">
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <ComposedChart data={rows} margin={{ top: 8, right: 16, bottom: 14, left: 0 }}>
              <CartesianGrid vertical={false} />
              <XAxis
                {...AXIS}
                dataKey="step"
                type="number"
                domain={[0, xMax]}
                allowDecimals={false}
                tickFormatter={formatStep}
                label={{ value: 'step', position: 'insideBottom', offset: -10 }}
              />
              <YAxis
                {...AXIS}
                width={52}
                domain={[axis.lo, axis.hi]}
                ticks={axis.ticks}
                interval={0}
                tickFormatter={axis.label}
              />
              <Tooltip
                {...STILL}
                cursor={{ stroke: 'var(--chart-axis)', strokeDasharray: '3 3' }}
                content={({ active, label }) =>
                  active && typeof label === 'number' ? (
                    <LossTip train={nearest(train, label)} evaluation={nearest(evaluation, label)} />
                  ) : null
                }
              />
              {bucketed && (
                <Area
                  {...STILL}
                  dataKey="band"
                  stroke="none"
                  fill={SERIES.primary}
                  fillOpacity={0.12}
                  activeDot={false}
                />
              )}
              <Line
                {...STILL}
                dataKey="loss"
                stroke={SERIES.primary}
                strokeWidth={2}
                dot={trainDrawn.length === 1 ? { r: 3.5, fill: SERIES.primary } : false}
                activeDot={{ r: 4 }}
                connectNulls
              />
              <Line
                {...STILL}
                dataKey="evalLoss"
                stroke={SERIES.secondary}
                strokeWidth={1.6}
                strokeDasharray="5 4"
                dot={evalDrawn.length <= EVAL_DOTS ? { r: 3.5, fill: SERIES.secondary, strokeDasharray: '' } : false}
                activeDot={{ r: 4 }}
                connectNulls
              />
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      )}
      {bucketed && (
        <p className="muted chart-note">
          {train.length.toLocaleString('en-US')} steps drawn as {trainDrawn.length} averages; the band shows each
          one&apos;s range.
        </p>
      )}
    </figure>
  );
}

function LossTip({ train, evaluation }: { train: XY | null; evaluation: XY | null }) {
  return (
    <div className="chart-tip" role="status">
      {train && (
        <span>
          step {train.x.toLocaleString('en-US')} · loss <strong>{formatLoss(train.y)}</strong>
        </span>
      )}
      {evaluation && (
        <span>
          step {evaluation.x.toLocaleString('en-US')} · eval <strong>{formatLoss(evaluation.y)}</strong>
        </span>
      )}
    </div>
  );
}
