import { useEffect, useMemo, useRef, useState, type PointerEvent, type RefObject } from 'react';
import type { TrainingPoint } from '../../../../common/contract';
import {
  bandPath,
  downsample,
  formatLoss,
  formatStep,
  linePath,
  lossAxis,
  nearest,
  niceTicks,
  series,
  type XY,
} from './chart';

const HEIGHT = 220;
const MARGIN = { top: 12, right: 16, bottom: 30, left: 48 };
/** Drawn points per pixel of plot width at most; thousands of steps become a mean line and a band. */
const POINTS_PER_PX = 0.5;

/**
 * Train loss as a line and eval loss as dots joined by a dashed line, over optimizer steps. The x
 * axis runs to the run's planned total, so the line grows to the right as training goes on. Drawn
 * at the element's own width (not scaled), so the labels keep their size in any layout.
 */
export function LossChart({ points, totalSteps }: { points: readonly TrainingPoint[]; totalSteps: number }) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box, 640);
  const [hoverStep, setHoverStep] = useState<number | null>(null);
  const { train, evaluation } = useMemo(() => series(points), [points]);

  const plotW = Math.max(60, width - MARGIN.left - MARGIN.right);
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const lastStep = Math.max(train.at(-1)?.x ?? 0, evaluation.at(-1)?.x ?? 0);
  const xMax = Math.max(totalSteps, lastStep, 1);
  const {
    lo: yLo,
    hi: yHi,
    ticks: yTicks,
  } = useMemo(() => lossAxis([...train, ...evaluation].map((p) => p.y)), [train, evaluation]);
  const sx = (step: number) => MARGIN.left + (step / xMax) * plotW;
  const sy = (loss: number) => MARGIN.top + (1 - (loss - yLo) / (yHi - yLo)) * plotH;

  const limit = Math.max(20, Math.floor(plotW * POINTS_PER_PX));
  const trainDrawn = useMemo(() => downsample(train, limit), [train, limit]);
  const evalDrawn = useMemo(() => downsample(evaluation, limit), [evaluation, limit]);
  const bucketed = trainDrawn.length < train.length;

  const px = (p: XY) => ({ x: sx(p.x), y: sy(p.y) });
  const xTicks = niceTicks(0, xMax, Math.max(2, Math.min(8, Math.floor(plotW / 90))), true);

  const hoverTrain = hoverStep === null ? null : nearest(train, hoverStep);
  const hoverEval = hoverStep === null ? null : nearest(evaluation, hoverStep);
  const hovered = hoverTrain ?? hoverEval;
  const onMove = (e: PointerEvent<SVGSVGElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    if (x < MARGIN.left - 8 || x > MARGIN.left + plotW + 8) return setHoverStep(null);
    setHoverStep(((x - MARGIN.left) / plotW) * xMax);
  };

  const latest = train.at(-1);
  const latestEval = evaluation.at(-1);
  const summary =
    train.length + evaluation.length === 0
      ? 'Loss chart: no points yet.'
      : `Loss chart: ${train.length} training points${latest ? `, latest loss ${formatLoss(latest.y)} at step ${latest.x}` : ''}${latestEval ? `, latest eval loss ${formatLoss(latestEval.y)}` : ''}.`;

  return (
    <figure className="loss-chart" data-testid="loss-chart" data-points={train.length}>
      <figcaption>
        <span className="loss-title">Loss</span>
        <span className="legend">
          <span className="key train" aria-hidden="true" /> train
          {latest ? <strong>{formatLoss(latest.y)}</strong> : <span className="muted">—</span>}
          <span className="key eval" aria-hidden="true" /> eval
          {latestEval ? <strong>{formatLoss(latestEval.y)}</strong> : <span className="muted">—</span>}
        </span>
      </figcaption>
      <div ref={box} className="loss-box">
        <svg
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          role="img"
          aria-label={summary}
          onPointerMove={onMove}
          onPointerLeave={() => setHoverStep(null)}
        >
          {yTicks.map((t) => (
            <g key={`y${t}`} className="tick">
              <line x1={MARGIN.left} x2={MARGIN.left + plotW} y1={sy(t)} y2={sy(t)} className="grid" />
              <text x={MARGIN.left - 8} y={sy(t)} dy="0.32em" textAnchor="end">
                {formatLoss(t)}
              </text>
            </g>
          ))}
          {xTicks.map((t) => (
            <g key={`x${t}`} className="tick">
              <line x1={sx(t)} x2={sx(t)} y1={MARGIN.top + plotH} y2={MARGIN.top + plotH + 4} className="axis" />
              <text x={sx(t)} y={MARGIN.top + plotH + 18} textAnchor="middle">
                {formatStep(t)}
              </text>
            </g>
          ))}
          <line
            x1={MARGIN.left}
            x2={MARGIN.left + plotW}
            y1={MARGIN.top + plotH}
            y2={MARGIN.top + plotH}
            className="axis"
          />
          <text className="axis-label" x={MARGIN.left - 8} y={MARGIN.top + plotH + 18} textAnchor="end">
            step
          </text>

          {train.length + evaluation.length === 0 && (
            <text className="chart-empty" x={MARGIN.left + plotW / 2} y={MARGIN.top + plotH / 2} textAnchor="middle">
              The loss appears here after the first optimizer steps.
            </text>
          )}

          {bucketed && (
            <path
              className="train-band"
              d={bandPath(
                trainDrawn.map((p) => ({ x: sx(p.x), y: sy(p.max) })),
                trainDrawn.map((p) => ({ x: sx(p.x), y: sy(p.min) })),
              )}
            />
          )}
          {trainDrawn.length > 1 && <path className="train-line" d={linePath(trainDrawn.map(px))} />}
          {trainDrawn.length === 1 && (
            <circle className="train-dot" cx={sx(trainDrawn[0]!.x)} cy={sy(trainDrawn[0]!.y)} r={3.5} />
          )}
          {evalDrawn.length > 1 && <path className="eval-line" d={linePath(evalDrawn.map(px))} />}
          {evalDrawn.length <= 60 &&
            evalDrawn.map((p) => <circle key={p.x} className="eval-dot" cx={sx(p.x)} cy={sy(p.y)} r={3.5} />)}

          {hovered && (
            <g className="hover" pointerEvents="none">
              <line x1={sx(hovered.x)} x2={sx(hovered.x)} y1={MARGIN.top} y2={MARGIN.top + plotH} />
              {hoverTrain && <circle className="train-dot" cx={sx(hoverTrain.x)} cy={sy(hoverTrain.y)} r={4} />}
              {hoverEval && <circle className="eval-dot" cx={sx(hoverEval.x)} cy={sy(hoverEval.y)} r={4} />}
            </g>
          )}
        </svg>
        {hovered && (
          <div
            className="chart-tip"
            style={{
              left: Math.min(sx(hovered.x) + 10, width - 170),
              top: MARGIN.top + 4,
            }}
          >
            {hoverTrain && (
              <span>
                step {hoverTrain.x.toLocaleString('en-US')} · loss <strong>{formatLoss(hoverTrain.y)}</strong>
              </span>
            )}
            {hoverEval && (
              <span>
                step {hoverEval.x.toLocaleString('en-US')} · eval <strong>{formatLoss(hoverEval.y)}</strong>
              </span>
            )}
          </div>
        )}
      </div>
      {bucketed && (
        <p className="muted chart-note">
          {train.length.toLocaleString('en-US')} steps drawn as {trainDrawn.length} averages; the band shows each
          one&apos;s range.
        </p>
      )}
    </figure>
  );
}

/** The element's content width in CSS pixels, followed as the layout changes. */
function useWidth(ref: RefObject<HTMLElement | null>, initial: number): number {
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setWidth(Math.max(200, Math.floor(el.clientWidth)));
    update();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}
