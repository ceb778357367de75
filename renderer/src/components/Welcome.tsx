import { useState } from 'react';
import { messageOf } from '../lib/bridge-error';
import { useCommand, useProviders, useSamples } from '../lib/queries';
import { useUi } from '../state/ui';
import { ProviderForm } from './settings/ProviderForm';
import '../generation.css';

/**
 * The first run: shown while the studio has no character. Three ways in, none of which costs
 * anything: load the sample character (written by us, with its scenes) and look at every tab;
 * connect a model (a hosted API, a local server, or the embedded model on this computer), tested
 * before it is saved; or create one's own character.
 */
export function Welcome() {
  const open = useUi((s) => s.open);
  return (
    <div className="empty welcome">
      <h1>Character Studio</h1>
      <p>
        Turn a person&apos;s life into a model that plays them: a profile (a Wikipedia article, your notes or a
        manuscript) becomes scenes and experiences, a dataset you review, and a fine-tuned model you can talk to.
      </p>
      <div className="welcome-paths">
        <SampleCard />
        <section className="welcome-card" aria-labelledby="welcome-own">
          <h2 id="welcome-own">Start your own</h2>
          <p className="muted">
            Name the person, then add their profile: paste text, or import a .txt, .md, .docx, .epub or .pdf file or a
            character card.
          </p>
          <button className="primary" onClick={() => open({ kind: 'create-character' })}>
            Create your first character
          </button>
        </section>
      </div>
      <ModelSetup />
      <ol className="welcome-steps">
        <li>
          <strong>Profile</strong>
          <span>The life story, split into chunks you can edit.</span>
        </li>
        <li>
          <strong>Generate</strong>
          <span>Scenes, experiences and protective scenes, by any LLM.</span>
        </li>
        <li>
          <strong>Dataset</strong>
          <span>Read every scene, traced to the call that made it.</span>
        </li>
        <li>
          <strong>Train</strong>
          <span>A LoRA fine-tune here or on a GPU server.</span>
        </li>
      </ol>
    </div>
  );
}

function SampleCard() {
  const samples = useSamples();
  const load = useCommand('samples/load', { quiet: true });
  const select = useUi((s) => s.select);
  const toast = useUi((s) => s.toast);
  const [error, setError] = useState<string | null>(null);
  const sample = samples.data?.[0];
  if (!sample) return null;
  const onLoad = async () => {
    setError(null);
    try {
      const loaded = await load.mutateAsync({ id: sample.id });
      select(loaded.characterId);
      toast({
        kind: 'info',
        text: `Loaded the sample ${sample.fullName}: ${loaded.chunks} profile chunks and ${loaded.scenes} scenes, written by the studio's authors.`,
      });
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section className="welcome-card" aria-labelledby="welcome-sample">
      <h2 id="welcome-sample">Look around with a sample</h2>
      <p>
        <strong>
          {sample.fullName} <span className="muted">({sample.era})</span>
        </strong>
      </p>
      <p className="muted">{sample.summary}</p>
      {error && <p className="form-error">{error}</p>}
      {sample.loadedAs ? (
        <button onClick={() => select(sample.loadedAs)}>Open {sample.fullName}</button>
      ) : (
        <button className="primary" disabled={load.isPending} onClick={() => void onLoad()}>
          {load.isPending ? 'Loading…' : 'Load the sample character'}
        </button>
      )}
      <small className="muted">Nothing is sent anywhere and nothing costs anything.</small>
    </section>
  );
}

function ModelSetup() {
  const providers = useProviders();
  const openSettings = useUi((s) => s.openSettings);
  const [editing, setEditing] = useState(false);
  const connected = providers.data ?? [];
  return (
    <section className="welcome-card welcome-model" aria-labelledby="welcome-model">
      <h2 id="welcome-model">Connect a model</h2>
      {connected.length > 0 ? (
        <p>
          Ready to generate with{' '}
          {connected.map((p, index) => (
            <span key={p.id}>
              {index > 0 && ', '}
              <strong>{p.name}</strong> <span className="muted">({p.model || p.preset})</span>
            </span>
          ))}
          . Add others in Settings.
        </p>
      ) : (
        <p className="muted">
          Generation needs an LLM: a hosted API with your key (OpenAI, OpenRouter…), a server on your machine (Ollama,
          LM Studio, llama.cpp), or the embedded model that runs inside the studio, offline. The form's Test connection
          checks that it answers and lists its models.
        </p>
      )}
      {connected.length === 0 && (
        <p className="muted">
          No account? Download a small model to run on this computer:{' '}
          <button type="button" className="link" onClick={() => openSettings(true)}>
            Settings › Models
          </button>
          .
        </p>
      )}
      {editing ? (
        <ProviderForm existing={null} onDone={() => setEditing(false)} reveal />
      ) : (
        <button className={connected.length > 0 ? '' : 'primary'} onClick={() => setEditing(true)}>
          {connected.length > 0 ? 'Add another model' : 'Set up a model'}
        </button>
      )}
    </section>
  );
}
