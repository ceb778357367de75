import type { TrainingRun } from '../../../../common/contract';
import { storeRun, useCommand } from '../../lib/queries';
import { CopyButton } from './ArtifactList';
import { ChatBox } from './ChatBox';

/**
 * Chat with a finished run in any OpenAI-compatible app (SillyTavern, Open WebUI, the openai
 * package): the trainer's `serve` answers on this computer while the studio runs.
 */
export function ServePanel({ run, characterName }: { run: TrainingRun; characterName: string }) {
  const serve = useCommand('training/serve');
  const stop = useCommand('training/serve-stop');
  const serving = run.serving ?? null;
  const onDone = { onSuccess: storeRun };
  const busy = serve.isPending || stop.isPending;

  return (
    <section className="serve-panel" aria-label="Chat with this model">
      <div className="serve-head">
        <h3>Chat with it</h3>
        {serving ? (
          <button onClick={() => stop.mutate({ id: run.id }, onDone)} disabled={stop.isPending}>
            {stop.isPending ? 'Stopping…' : 'Stop serving'}
          </button>
        ) : (
          <button className="primary" onClick={() => serve.mutate({ id: run.id }, onDone)} disabled={busy}>
            Serve on this computer
          </button>
        )}
      </div>
      {!serving ? (
        <p className="muted">
          Starts an OpenAI-compatible server for this model on 127.0.0.1, for chat apps such as SillyTavern or Open
          WebUI. Replies follow the {run.config.format === 'chat' ? 'chat template' : "paper's format"} it was trained
          in.
        </p>
      ) : serving.state === 'starting' ? (
        <p className="muted" role="status">
          <span className="pulse" aria-hidden="true" /> Loading the model…
        </p>
      ) : (
        <dl className="serve-facts" role="status">
          <div>
            <dt>Base URL</dt>
            <dd>
              <code data-testid="serve-url">{serving.url}</code>
              <CopyButton text={serving.url ?? ''} label="Copy the base URL" />
            </dd>
          </div>
          <div>
            <dt>Model</dt>
            <dd>
              <code>{serving.model}</code>
              <CopyButton text={serving.model ?? ''} label="Copy the model name" />
            </dd>
          </div>
          <div>
            <dt>API key</dt>
            <dd className="muted">any: the server takes none and answers only this computer</dd>
          </div>
        </dl>
      )}
      {serving?.state === 'ready' && <ChatBox run={run} characterName={characterName} />}
    </section>
  );
}
