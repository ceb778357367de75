import { useState } from 'react';
import type { CallId, LlmCall } from '../../../../common/contract';
import { callCostText, callEndpointText, callTokensText, indentedJson } from '../../../../common/provenance';
import { useCalls } from '../../lib/queries';
import { Modal } from '../Modal';
import { formatTime } from '../../lib/format';

/** The LLM calls that made a scene and its experience: every attempt, with prompt and raw answer. */
export function ProvenanceDialog({
  sceneCallId,
  experienceCallId,
  onClose,
}: {
  sceneCallId: CallId | null;
  experienceCallId: CallId | null;
  onClose: () => void;
}) {
  const [which, setWhich] = useState<'scene' | 'experience'>(sceneCallId ? 'scene' : 'experience');
  // Protective scenes are written with their experience in one call.
  const oneCall = sceneCallId !== null && sceneCallId === experienceCallId;
  const id = which === 'scene' ? sceneCallId : experienceCallId;
  const calls = useCalls(id);

  return (
    <Modal title="Provenance" onClose={onClose} wide>
      <div className="provenance">
        {oneCall ? (
          <p className="muted">One call wrote both the scene and its experience.</p>
        ) : (
          <div className="segmented" role="tablist" aria-label="Which call">
            <button
              role="tab"
              aria-selected={which === 'scene'}
              className={which === 'scene' ? 'selected' : undefined}
              disabled={!sceneCallId}
              onClick={() => setWhich('scene')}
            >
              Scene call
            </button>
            <button
              role="tab"
              aria-selected={which === 'experience'}
              className={which === 'experience' ? 'selected' : undefined}
              disabled={!experienceCallId}
              onClick={() => setWhich('experience')}
            >
              Experience call
            </button>
          </div>
        )}
        {!id ? (
          <p className="muted">No LLM call is recorded for this part: it was written or imported by hand.</p>
        ) : calls.isPending ? (
          <p className="muted">Loading…</p>
        ) : calls.isError ? (
          <p className="form-error">{calls.error.message}</p>
        ) : calls.data.length === 0 ? (
          <p className="muted">The call log has no entry for this call.</p>
        ) : (
          calls.data.map((call) => (
            <CallView key={`${call.id}-${call.attempt}`} call={call} attempts={calls.data.length} />
          ))
        )}
      </div>
    </Modal>
  );
}

function CallView({ call, attempts }: { call: LlmCall; attempts: number }) {
  const params = Object.entries(call.params);
  return (
    <section className={call.error ? 'call failed' : 'call'} aria-label={`Attempt ${call.attempt}`}>
      <dl className="call-facts">
        <div>
          <dt>Provider</dt>
          <dd>
            {call.providerLabel ?? callEndpointText(call)}
            {call.providerLabel && <span className="call-endpoint">{callEndpointText(call)}</span>}
          </dd>
        </div>
        <Fact label="Model" value={call.model} code />
        {attempts > 1 && <Fact label="Attempt" value={String(call.attempt)} />}
        <Fact label="Tokens" value={callTokensText(call)} />
        <Fact label="Latency" value={`${(call.latencyMs / 1000).toFixed(2)} s`} />
        <Fact label="Cost" value={callCostText(call)} />
        <Fact label="Finish" value={call.finishReason ?? '—'} />
        <Fact label="Started" value={formatTime(call.startedAt, { seconds: true })} />
      </dl>
      {params.length > 0 && (
        <p className="call-params">
          {params.map(([k, v]) => (
            <code key={k}>
              {k}={typeof v === 'string' ? v : JSON.stringify(v)}
            </code>
          ))}
        </p>
      )}
      {call.error && <p className="form-error">{call.error}</p>}
      <h4>Prompt</h4>
      <ol className="messages">
        {call.messages.map((m, i) => (
          <li key={i} className={`message ${m.role}`}>
            <span className="role">{m.role}</span>
            <pre>{m.content}</pre>
          </li>
        ))}
      </ol>
      <Response text={call.response} />
    </section>
  );
}

/** The answer exactly as received; JSON may be shown indented for reading. */
function Response({ text }: { text: string | null }) {
  const [formatted, setFormatted] = useState(true);
  const pretty = text === null ? null : indentedJson(text);
  return (
    <>
      <div className="response-head">
        <h4>Raw response</h4>
        {pretty !== null && (
          <button className="link small" onClick={() => setFormatted(!formatted)}>
            {formatted ? 'Show exactly as received' : 'Show indented'}
          </button>
        )}
      </div>
      {text === null ? (
        <p className="muted">No response.</p>
      ) : (
        <pre className="raw-response">{formatted && pretty !== null ? pretty : text}</pre>
      )}
    </>
  );
}

function Fact({ label, value, code }: { label: string; value: string; code?: boolean }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{code ? <code>{value}</code> : value}</dd>
    </div>
  );
}
