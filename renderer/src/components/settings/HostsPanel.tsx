import { useState, type FormEvent } from 'react';
import type { Host, HostCheck, HostDraft } from '../../../../common/contract';
import { CommandError, messageOf } from '../../lib/bridge-error';
import { queryClient, useCommand, useHosts } from '../../lib/queries';
import { useUi } from '../../state/ui';
import { SavedCard } from './SavedCard';
import { SecretHint } from './SecretHint';
import { SettingsSection } from './SettingsSection';

type Editing = { kind: 'none' } | { kind: 'new' } | { kind: 'edit'; host: Host };

/** Settings → Hosts: GPU servers reached over SSH that training can run on. */
export function HostsPanel() {
  const hosts = useHosts();
  const [editing, setEditing] = useState<Editing>({ kind: 'none' });
  return (
    <SettingsSection
      title="Hosts"
      description="GPU servers reached over SSH. Training uploads the trainer and the dataset there, runs detached (it goes on if the studio closes) and brings the adapter home."
      action={
        editing.kind === 'none' && (
          <button className="primary" onClick={() => setEditing({ kind: 'new' })}>
            + Add host
          </button>
        )
      }
    >
      {editing.kind !== 'none' && (
        <HostForm
          key={editing.kind === 'edit' ? editing.host.id : 'new'}
          existing={editing.kind === 'edit' ? editing.host : null}
          onDone={() => setEditing({ kind: 'none' })}
        />
      )}
      {hosts.isPending ? (
        <p className="muted">Loading…</p>
      ) : hosts.isError ? (
        <p className="form-error">{hosts.error.message}</p>
      ) : hosts.data.length === 0 ? (
        editing.kind === 'none' && (
          <div className="empty small">
            <h3>No host yet</h3>
            <p>Add a GPU server to train there: its address, your user and key, then test and trust its host key.</p>
          </div>
        )
      ) : (
        <ul className="provider-list">
          {hosts.data.map((h) => (
            <HostCard
              key={h.id}
              host={h}
              editing={editing.kind === 'edit' && editing.host.id === h.id}
              onEdit={() => setEditing({ kind: 'edit', host: h })}
            />
          ))}
        </ul>
      )}
    </SettingsSection>
  );
}

/**
 * Deletes a host once the person says yes. Refused because runs still train there, the refusal
 * (naming them) is asked again as a question: delete anyway (forced), or keep the host.
 */
function useDeleteHost(): (host: Host) => void {
  const toast = useUi((s) => s.toast);
  const remove = useCommand('hosts/delete', { quiet: true });
  return (host) => {
    if (!window.confirm(`Delete the host “${host.name}”? Runs made there keep their records and downloaded files.`))
      return;
    const deleted = () => {
      toast({ kind: 'info', text: `Deleted ${host.name}.` });
      void queryClient.invalidateQueries({ queryKey: ['hosts/list'] });
    };
    const refused = (error: unknown) => toast({ kind: 'error', text: messageOf(error) });
    remove.mutate(
      { id: host.id },
      {
        onSuccess: deleted,
        onError: (error) => {
          if (!(error instanceof CommandError && error.code === 'conflict')) return refused(error);
          const anyway = `${error.message}\n\nDelete “${host.name}” anyway? Cancelling such a run afterwards ends it in the studio only.`;
          if (window.confirm(anyway))
            remove.mutate({ id: host.id, force: true }, { onSuccess: deleted, onError: refused });
        },
      },
    );
  };
}

function HostCard({ host, editing, onEdit }: { host: Host; editing: boolean; onEdit: () => void }) {
  const test = useCommand('hosts/test');
  const trust = useCommand('hosts/trust');
  const remove = useDeleteHost();
  const [check, setCheck] = useState<HostCheck | null>(null);

  /** A check (a test, or the one trusting runs) also tells main the host's GPUs, which estimates use. */
  const checked = (check: HostCheck) => {
    setCheck(check);
    void queryClient.invalidateQueries({ queryKey: ['training/estimate'] });
  };
  const runTest = () => {
    setCheck(null);
    test.mutate({ id: host.id }, { onSuccess: checked });
  };
  const trustKey = (fingerprint: string) => {
    trust.mutate({ id: host.id, fingerprint }, { onSuccess: checked });
  };
  return (
    <SavedCard
      kind="Host"
      name={host.name}
      summary={
        <code>
          {host.username}@{host.host}:{host.port}
        </code>
      }
      where={
        <>
          python <code>{host.python}</code> · {host.remoteRoot}
        </>
      }
      whereTitle={host.remoteRoot}
      badges={
        <>
          <span className="badge">{host.privateKeyPath ? 'key file' : 'SSH agent'}</span>
          {host.hasPassphrase && <span className="badge ok">passphrase saved</span>}
          <span className="badge">
            {host.gpuCount} GPU{host.gpuCount === 1 ? '' : 's'}
          </span>
        </>
      }
      test={test}
      testLabel="Test"
      onTest={runTest}
      testBlocked={trust.isPending}
      editing={editing}
      onEdit={onEdit}
      onDelete={() => remove(host)}
    >
      {trust.isError && <p className="form-error">{messageOf(trust.error)}</p>}
      {check && (
        <div className={check.ok ? 'check ok' : 'check bad'} role="status" aria-label="Host check">
          <p className="check-summary">
            <span aria-hidden="true">{check.ok ? '✓' : '✕'}</span> {check.summary}
          </p>
          {check.fingerprint && (
            <p className="muted">
              Host key: <code>{check.fingerprint}</code>
            </p>
          )}
          {check.needsTrust && check.fingerprint && (
            <p>
              Compare this fingerprint with the one the server&apos;s administrator gives you (
              <code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code> on the server) before trusting it.{' '}
              <button className="small primary" disabled={trust.isPending} onClick={() => trustKey(check.fingerprint!)}>
                {trust.isPending ? 'Trusting…' : 'Trust this key'}
              </button>
            </p>
          )}
          {/* A failed trainer check is already in the summary ("…cannot run there yet: why"). */}
        </div>
      )}
    </SavedCard>
  );
}

interface FormState {
  name: string;
  host: string;
  port: string;
  username: string;
  privateKeyPath: string;
  /** What the user typed; '' leaves a saved passphrase as it is. */
  passphrase: string;
  removePassphrase: boolean;
  python: string;
  remoteRoot: string;
  gpuCount: string;
}

function fromHost(h: Host | null): FormState {
  return {
    name: h?.name ?? '',
    host: h?.host ?? '',
    port: String(h?.port ?? 22),
    username: h?.username ?? '',
    privateKeyPath: h?.privateKeyPath ?? '',
    passphrase: '',
    removePassphrase: false,
    python: h?.python ?? 'python3',
    remoteRoot: h?.remoteRoot ?? '.character-studio',
    gpuCount: String(h?.gpuCount ?? 1),
  };
}

/** Adds a host, or edits one. The passphrase is write-only: it is never shown again. */
function HostForm({ existing, onDone }: { existing: Host | null; onDone: () => void }) {
  const toast = useUi((s) => s.toast);
  const save = useCommand('hosts/save', { quiet: true });
  const [state, setState] = useState<FormState>(fromHost(existing));
  const [error, setError] = useState<string | null>(null);
  const set = (patch: Partial<FormState>) => setState({ ...state, ...patch });

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const whole = (value: string, label: string, min: number, max: number): number => {
      const n = Number(value);
      if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
        throw new Error(`${label} must be a whole number from ${min} to ${max}.`);
      return n;
    };
    try {
      const draft: HostDraft & { id?: Host['id'] } = {
        ...(existing && { id: existing.id }),
        name: state.name.trim(),
        host: state.host.trim(),
        port: whole(state.port, 'The port', 1, 65535),
        username: state.username.trim(),
        privateKeyPath: state.privateKeyPath.trim(),
        python: state.python.trim(),
        remoteRoot: state.remoteRoot.trim(),
        gpuCount: whole(state.gpuCount, 'The number of GPUs', 1, 64),
      };
      if (state.removePassphrase) draft.passphrase = '';
      else if (state.passphrase !== '') draft.passphrase = state.passphrase;
      const saved = await save.mutateAsync(draft);
      void queryClient.invalidateQueries({ queryKey: ['hosts/list'] });
      toast({
        kind: 'info',
        text: `${existing ? 'Saved' : 'Added'} ${saved.name}. Test it to check the login and trust its key.`,
      });
      onDone();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <form
      className="form provider-form"
      onSubmit={(e) => void onSubmit(e)}
      aria-label={existing ? 'Edit host' : 'New host'}
    >
      <h4>{existing ? `Edit ${existing.name}` : 'New host'}</h4>
      <div className="form-grid">
        <label>
          Name
          <input required value={state.name} placeholder="lab-gpu" onChange={(e) => set({ name: e.target.value })} />
        </label>
        <label>
          Host
          <input
            required
            value={state.host}
            placeholder="gpu.example.org"
            onChange={(e) => set({ host: e.target.value })}
          />
          <small>The machine&apos;s name or address, without the user.</small>
        </label>
        <label>
          Port
          <input type="number" min={1} max={65535} value={state.port} onChange={(e) => set({ port: e.target.value })} />
        </label>
        <label>
          User
          <input required value={state.username} onChange={(e) => set({ username: e.target.value })} />
        </label>
        <label className="span-2">
          <span>
            Private key file <span className="optional">(optional)</span>
          </span>
          <input
            value={state.privateKeyPath}
            placeholder="/home/me/.ssh/id_ed25519 — empty uses the SSH agent"
            onChange={(e) => set({ privateKeyPath: e.target.value })}
          />
          <small>An OpenSSH key on this machine. Leave it empty to log in through your SSH agent.</small>
        </label>
        <label>
          <span>
            Key passphrase <span className="optional">(optional)</span>
          </span>
          <input
            type="password"
            autoComplete="off"
            value={state.passphrase}
            disabled={state.removePassphrase}
            placeholder={existing?.hasPassphrase ? 'saved — type to replace it' : ''}
            onChange={(e) => set({ passphrase: e.target.value })}
          />
          <small>
            {existing?.hasPassphrase && (
              <button
                type="button"
                className="link small"
                onClick={() => set({ removePassphrase: !state.removePassphrase, passphrase: '' })}
              >
                {state.removePassphrase ? 'Keep the saved passphrase' : 'Remove the passphrase'}
              </button>
            )}{' '}
            <SecretHint what="passphrase" />
          </small>
        </label>
        <label>
          Remote Python
          <input value={state.python} placeholder="python3" onChange={(e) => set({ python: e.target.value })} />
          <small>Without the trainer&apos;s packages, a venv is made in the remote folder on the first run.</small>
        </label>
        <label>
          Remote folder
          <input
            value={state.remoteRoot}
            placeholder=".character-studio"
            onChange={(e) => set({ remoteRoot: e.target.value })}
          />
          <small>For the trainer, its venv and the runs; relative to your home there.</small>
        </label>
        <label>
          GPUs
          <input
            type="number"
            min={1}
            max={64}
            value={state.gpuCount}
            onChange={(e) => set({ gpuCount: e.target.value })}
          />
          <small>More than one trains on all of them with torchrun.</small>
        </label>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button className="primary" type="submit" disabled={save.isPending}>
          {existing ? 'Save host' : 'Add host'}
        </button>
      </div>
    </form>
  );
}
