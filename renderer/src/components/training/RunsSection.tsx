import type { BaseModelOption, RunStatus, TrainingExport, TrainingRun } from '../../../../common/contract';
import { formatDuration, formatPercent, formatTime } from '../../lib/format';
import { storeRun, useCommand } from '../../lib/queries';
import { CancelAndClose, EarlierWork, WorkMessage } from '../work-card';
import { ArtifactList } from './ArtifactList';
import { LogView } from './LogView';
import { LossChart } from './LossChart';
import { ServePanel } from './ServePanel';
import { TransferProgress } from './TransferProgress';
import { phaseLabel } from '../../../../common/training-text';
import { LIVE, modelName, RUN_STATUS_LABEL } from './training-form';

/** The character's runs: the latest and any still training as cards, earlier ones as rows. */
export function RunsSection({ runs, baseModels }: { runs: TrainingRun[]; baseModels: BaseModelOption[] }) {
  const sorted = [...runs].sort((a, b) => b.createdAt - a.createdAt);
  const [latest, ...rest] = sorted;
  if (!latest) return null;
  const shown = [latest, ...rest.filter((r) => LIVE.includes(r.status))];
  const earlier = rest.filter((r) => !LIVE.includes(r.status));

  return (
    <section className="runs" aria-label="Training runs">
      {shown.map((run, i) => (
        <RunCard key={run.id} run={run} baseModels={baseModels} title={i === 0 ? 'latest' : 'live'} />
      ))}
      <EarlierWork
        items={earlier}
        card={(run, close) => <RunCard run={run} baseModels={baseModels} title="earlier" onClose={close} />}
        row={(run) => (
          <>
            <RunStatusBadge status={run.status} />
            {run.serving && <ServingBadge run={run} />}
            {run.exporting && <span className="status status-running">Exporting</span>}
            <span>{formatTime(run.createdAt)}</span>
            <span className="muted">
              {modelName(run.config.baseModel, baseModels)} · step {run.step.toLocaleString('en-US')} of{' '}
              {run.totalSteps.toLocaleString('en-US')}
              {lastLoss(run) !== null ? ` · loss ${lastLoss(run)?.toFixed(3)}` : ''}
            </span>
          </>
        )}
      />
    </section>
  );
}

export function RunStatusBadge({ status }: { status: RunStatus }) {
  return <span className={`status status-${status}`}>{RUN_STATUS_LABEL[status]}</span>;
}

/** An earlier run still answering chat apps says so, folded or not: it holds a model in memory. */
function ServingBadge({ run }: { run: TrainingRun }) {
  return (
    <span
      className="status status-serving"
      data-testid="serving-badge"
      title={run.serving?.url ? `Served at ${run.serving.url} as ${run.serving.model ?? ''}` : undefined}
    >
      {run.serving?.state === 'ready' ? 'Serving' : 'Loading to serve'}
    </span>
  );
}

function lastLoss(run: TrainingRun): number | null {
  for (let i = run.points.length - 1; i >= 0; i--) {
    const loss = run.points[i]?.loss;
    if (loss !== null && loss !== undefined) return loss;
  }
  return null;
}

function RunCard({
  run,
  baseModels,
  title,
  onClose,
}: {
  run: TrainingRun;
  baseModels: BaseModelOption[];
  title: 'latest' | 'live' | 'earlier';
  onClose?: () => void;
}) {
  const stop = useCommand('training/stop');
  const resume = useCommand('training/resume');
  const cancel = useCommand('training/cancel');
  const exportRun = useCommand('training/export');
  const cancelExport = useCommand('training/export-cancel');
  // Quiet: its failures are told on the card (the run's message), not twice.
  const prepareChat = useCommand('training/prepare-chat', { quiet: true });
  const busy =
    stop.isPending ||
    resume.isPending ||
    cancel.isPending ||
    exportRun.isPending ||
    cancelExport.isPending ||
    prepareChat.isPending;
  const live = LIVE.includes(run.status);
  const h = run.config.hyperparameters;
  const percent = run.totalSteps > 0 ? Math.min(100, Math.round((run.step / run.totalSteps) * 100)) : 0;
  const onDone = { onSuccess: storeRun };
  const heading = title === 'earlier' ? 'Run' : live ? 'Current run' : 'Last run';
  // A remote run asked to stop elsewhere (a terminal, or before the studio restarted): nothing here
  // waits for its checkpoint until asked to, as `train stop` does.
  const unfollowedStop = run.status === 'stopping' && run.config.target !== 'local' && run.followed === false;

  const onCancel = () => {
    if (
      !window.confirm(
        'Cancel this run? It stops without saving, and cannot be resumed; checkpoints already saved stay in its folder.',
      )
    )
      return;
    cancel.mutate({ id: run.id }, onDone);
  };

  return (
    <article
      className={`card job-card run-card run-${run.status}`}
      aria-label={title === 'earlier' ? 'Training run' : heading}
      data-testid="run-card"
    >
      <header className="card-head">
        <div>
          <h2>
            {heading} <RunStatusBadge status={run.status} />
          </h2>
          <p className="muted">
            Started {formatTime(run.createdAt)} ·{' '}
            <span title={run.config.baseModel}>{modelName(run.config.baseModel, baseModels)}</span> ·{' '}
            {run.config.format === 'chat' ? 'chat format' : 'Character-LLM format'} ·{' '}
            {h.fullFinetune ? 'full fine-tuning' : `LoRA r${h.loraRank}`} · lr {h.learningRate}
            {run.finishedAt ? ` · ended ${formatTime(run.finishedAt)}` : ''}
          </p>
        </div>
        <div className="job-actions">
          {(run.status === 'running' || run.status === 'queued') && (
            <button
              onClick={() => stop.mutate({ id: run.id }, onDone)}
              disabled={busy}
              title="Saves a checkpoint, then stops; Resume continues from it."
            >
              Stop
            </button>
          )}
          {unfollowedStop && (
            <button
              className="primary"
              onClick={() => stop.mutate({ id: run.id }, onDone)}
              disabled={busy}
              title="Reaches the run's host, waits for the trainer to save its checkpoint and brings it home; if the host cannot be reached, the run is marked interrupted with the reason."
            >
              {stop.isPending ? 'Reaching the host…' : 'Follow the stop'}
            </button>
          )}
          {(run.status === 'stopped' || run.status === 'interrupted' || run.status === 'failed') && (
            <button
              className="primary"
              onClick={() => resume.mutate({ id: run.id }, onDone)}
              disabled={busy}
              title={
                run.outputs.checkpoint ? 'Continues from the latest checkpoint.' : 'No checkpoint yet: starts over.'
              }
            >
              {run.outputs.checkpoint || run.status !== 'failed' ? 'Resume' : 'Try again'}
            </button>
          )}
          {run.status === 'succeeded' && run.exporting && (
            <button
              onClick={() => cancelExport.mutate({ id: run.id }, onDone)}
              disabled={busy || run.exporting.cancelling}
              title="Ends the export now; the trained run and what earlier exports wrote stay."
            >
              {run.exporting.cancelling ? 'Cancelling export…' : 'Cancel export'}
            </button>
          )}
          {run.status === 'succeeded' && !run.exporting && (
            <>
              <button
                onClick={() => exportRun.mutate({ id: run.id, merged: true, gguf: false }, onDone)}
                disabled={busy}
                title="Writes the base model with the adapter merged in, and an Ollama Modelfile. The adapter itself is already usable (vLLM --enable-lora)."
              >
                Export merged model
              </button>
              <button
                onClick={() => exportRun.mutate({ id: run.id, merged: true, gguf: true }, onDone)}
                disabled={busy}
                title="Also converts the merged model (and a LoRA adapter) to GGUF with llama.cpp's official converters, the version that ships with the studio (offline); set LLAMA_CPP_DIR to use your own llama.cpp."
              >
                Export GGUF
              </button>
              <button
                onClick={() => prepareChat.mutate({ id: run.id })}
                disabled={busy}
                title="Converts the base model (once per base model) and this run's adapter to GGUF for chatting here without Python, offline, with the llama.cpp converters that ship with the studio."
              >
                Convert for chat
              </button>
            </>
          )}
          <CancelAndClose
            canCancel={live || run.status === 'stopped' || run.status === 'interrupted'}
            busy={busy}
            onCancel={onCancel}
            onClose={onClose}
          />
        </div>
      </header>

      <WorkMessage message={run.message} failed={run.status === 'failed'} />
      {unfollowedStop && (
        <p className="muted" data-testid="unfollowed-stop">
          This studio is not following the stop (it was asked from a terminal, or before the studio restarted). Follow
          the stop waits here for the run to save its checkpoint and brings it home.
        </p>
      )}

      {run.warnings.length > 0 && (
        <ul className="run-warnings" aria-label="Trainer warnings">
          {run.warnings.map((w) => (
            <li key={`${w.code}:${w.message}`} data-code={w.code}>
              {w.message}
            </li>
          ))}
        </ul>
      )}

      {run.exporting && <ExportProgress exporting={run.exporting} />}

      {(live || run.exporting) && run.transfer && <TransferProgress transfer={run.transfer} />}

      <div className="job-overall">
        <div
          className="bar"
          role="progressbar"
          aria-label="Training steps"
          aria-valuemin={0}
          aria-valuemax={run.totalSteps}
          aria-valuenow={run.step}
        >
          <div className="bar-done" style={{ width: `${percent}%` }} />
        </div>
        <div className="job-figures">
          {live && run.phase && (
            <span className="run-phase">
              <span className="pulse" aria-hidden="true" />
              {phaseLabel(run.phase)}
            </span>
          )}
          <span data-testid="run-steps">
            <strong>{percent}%</strong> · step {run.step.toLocaleString('en-US')} of{' '}
            {run.totalSteps > 0 ? run.totalSteps.toLocaleString('en-US') : '…'}
          </span>
          <span>
            epoch {formatEpoch(run.epoch)} of {h.epochs}
          </span>
          {run.tokensPerSecond !== null && (
            <span>{Math.round(run.tokensPerSecond).toLocaleString('en-US')} tokens/s</span>
          )}
          {run.peakMemoryBytes !== null && (
            <span data-testid="run-memory" title="The most memory the trainer has held so far">
              peak {(run.peakMemoryBytes / 2 ** 30).toLocaleString('en-US', { maximumFractionDigits: 1 })} GiB{' '}
              {run.device?.startsWith('cuda') ? 'GPU memory' : 'RAM'}
            </span>
          )}
          {run.status === 'running' && (
            <span>
              {run.etaSeconds === null ? 'measuring time left…' : `about ${formatDuration(run.etaSeconds)} left`}
            </span>
          )}
          {run.examples !== null && <span>{run.examples.toLocaleString('en-US')} examples</span>}
        </div>
      </div>

      <LossChart points={run.points} totalSteps={run.totalSteps} />

      {run.paddingShare !== null && (
        <p className="padding-note" data-testid="padding">
          <strong>{formatPercent(run.paddingShare)} padding</strong>
          {run.paddingShareFixed !== null && (
            <span className="muted"> (paper&apos;s fixed 2,048: {formatPercent(run.paddingShareFixed)})</span>
          )}
          <span className="muted">
            {' '}
            — batches group scenes of similar length, so less compute goes to padding tokens.
          </span>
        </p>
      )}

      {run.status === 'succeeded' && <ServePanel run={run} />}
      <ArtifactList run={run} />
      <LogView runId={run.id} live={live || Boolean(run.exporting)} />
    </article>
  );
}

/** The export in progress: its own state beside the finished run, never its steps or status. */
function ExportProgress({ exporting }: { exporting: TrainingExport }) {
  const what = exporting.gguf ? 'the merged model and GGUF files' : 'the merged model';
  return (
    <p className="export-progress" role="status" data-testid="export-progress">
      <span className="pulse" aria-hidden="true" />
      <strong>{exporting.purpose === 'chat' ? 'Converting for chat' : `Exporting ${what}`}</strong>
      <span className="muted">
        {' '}
        · {exporting.cancelling ? 'cancelling…' : exportPhase(exporting)} · started {formatTime(exporting.startedAt)}
      </span>
    </p>
  );
}

function exportPhase(exporting: TrainingExport): string {
  if (exporting.phase === null) return 'starting the trainer';
  if (exporting.phase === 'converting')
    return exporting.target === 'adapter_gguf'
      ? 'converting the adapter to GGUF'
      : exporting.target === 'gguf_base'
        ? 'converting the base model to GGUF (once per base model)'
        : 'converting the model to GGUF';
  return phaseLabel(exporting.phase);
}

/** Epochs as run so far: whole ones plain, partial ones with two decimals. */
function formatEpoch(epoch: number): string {
  return Number.isInteger(epoch) ? String(epoch) : epoch.toFixed(2);
}
