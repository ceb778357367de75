import { useState } from 'react';
import type { TrainingRun } from '../../../../common/contract';
import { storeRun, useCommand, useHosts, useServedRuns } from '../../lib/queries';
import { CopyButton } from '../copy-button';
import { useUi } from '../../state/ui';

/**
 * Chat with a finished run in any OpenAI-compatible app (SillyTavern, Open WebUI, the openai
 * package): the trainer's `serve` answers on 127.0.0.1 while the studio runs. A run trained on a GPU
 * server is served there and reached through the SSH connection.
 */
export function ServePanel({ run }: { run: TrainingRun }) {
  const serve = useCommand('training/serve');
  const stop = useCommand('training/serve-stop');
  const serving = run.serving ?? null;
  const onDone = { onSuccess: storeRun };
  const busy = serve.isPending || stop.isPending;
  const hosts = useHosts();
  const host = run.config.target === 'local' ? undefined : hosts.data?.find((h) => h.id === run.config.target);
  // Other models this studio serves: each holds its weights in memory, so serving another asks first.
  const others = (useServedRuns().data ?? []).filter((s) => s.runId !== run.id);
  const [asking, setAsking] = useState(false);
  const openChat = useUi((s) => s.openChat);
  const open = useUi((s) => s.open);
  const serveWith = (choice: 'stop' | 'keep') => {
    setAsking(false);
    serve.mutate({ id: run.id, others: choice }, onDone);
  };

  return (
    <section className="serve-panel" aria-label="Chat with this model">
      <div className="serve-head">
        <h3>Chat with it</h3>
        <button
          className="primary"
          onClick={() => openChat(run.characterId, { kind: 'new', runId: run.id })}
          title="A stored conversation in the Chat tab: scenes, thoughts, alternatives and branches"
        >
          Chat with this run
        </button>
        <button
          onClick={() => open({ kind: 'export-card', characterId: run.characterId, runId: run.id })}
          title="A V3 character card naming this run's adapter and GGUF files, base model, format and sampling"
        >
          Trained card…
        </button>
        {serving ? (
          <button onClick={() => stop.mutate({ id: run.id }, onDone)} disabled={stop.isPending}>
            {stop.isPending ? 'Stopping…' : 'Stop serving'}
          </button>
        ) : (
          <button onClick={() => (others.length > 0 ? setAsking(true) : serveWith('keep'))} disabled={busy || asking}>
            {host ? `Serve on ${host.name}` : 'Serve on this computer'}
          </button>
        )}
      </div>
      {asking && (
        <div className="serve-ask" role="alertdialog" aria-label="Another model is being served">
          <p>
            {others.map((o) => `${o.characterName}'s model ${o.serving.model ?? '(loading)'}`).join(' and ')}{' '}
            {others.length === 1 ? 'is' : 'are'} being served already, and each model holds its weights in memory. Stop{' '}
            {others.length === 1 ? 'it' : 'them'} and serve this one?
          </p>
          <div className="serve-ask-actions">
            <button className="primary" onClick={() => serveWith('stop')}>
              Stop {others.length === 1 ? 'it' : 'them'} and serve this one
            </button>
            <button onClick={() => serveWith('keep')}>Serve both</button>
            <button className="ghost" onClick={() => setAsking(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {!serving ? (
        <p className="muted">
          {host
            ? `Loads this model on ${host.name}, where it trained, and reaches it through the SSH connection: `
            : 'Starts '}
          an OpenAI-compatible server on 127.0.0.1 of this computer, for chat apps such as SillyTavern or Open WebUI.
          Replies follow the {run.config.format === 'chat' ? 'chat template' : "paper's format"} it was trained in.
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
              <CopyButton text={serving.url ?? ''} label="Copy the base URL" what="the URL" />
            </dd>
          </div>
          <div>
            <dt>Model</dt>
            <dd>
              <code>{serving.model}</code>
              <CopyButton text={serving.model ?? ''} label="Copy the model name" what="the name" />
            </dd>
          </div>
          <div>
            <dt>API key</dt>
            <dd className="muted">any: the server takes none and answers only this computer</dd>
          </div>
        </dl>
      )}
    </section>
  );
}
