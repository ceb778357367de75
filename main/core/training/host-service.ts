import fs from 'node:fs';
import path from 'node:path';
import { posix } from 'node:path';
import ssh2 from 'ssh2';
import type { Host, HostCheck, HostDraft, HostId, TrainerEnvironment } from '../../../common/contract';
import type { HostsRepo, StoredHost } from '../../store/hosts-repo';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import type { SecretStore } from '../providers/secret-store';
import { parseTrainerEvent } from '../trainer/events';
import {
  fingerprint,
  hostKeyAlgorithms,
  judgeHostKey,
  KnownHostsFile,
  keyType,
  type HostKeyStore,
} from '../trainer/known-hosts';
import {
  shellQuote,
  SshHostKeyError,
  SshTrainerLauncher,
  type SshHostConfig,
  type SshLauncherOptions,
} from '../trainer/ssh-launcher';
import { environmentOf, failedEnvironment } from './doctor-report';
import { clause } from '../../../common/sentence';

/**
 * SSH hosts the trainer can run on: their settings (store), their trusted host keys
 * (`<dataDir>/known_hosts`, OpenSSH format) and key passphrases (the secret store, never the
 * database). Also makes the launchers TrainingService uses for remote runs.
 */

export const KNOWN_HOSTS_FILE = 'known_hosts';

export interface HostServiceOptions {
  dataDir: string;
  trainerDir: string;
  /** Passed to every launcher (tests poll faster); see SshLauncherOptions. */
  launcher?: Pick<SshLauncherOptions, 'pollMs' | 'reconnectDelaysMs' | 'maxReconnectAttempts' | 'readyTimeoutMs'>;
  /** Extra environment for remote runs (e.g. HF_HUB_OFFLINE in tests). */
  remoteEnv?: Record<string, string>;
}

/** What TrainingService needs to run on a host. */
export interface RemoteHosts {
  /**
   * A fresh launcher for the host, a label for messages and the login it uses (for a run to record
   * where it lives); null when the host no longer exists.
   */
  launcherFor(id: HostId): { launcher: SshTrainerLauncher; label: string; login: HostLogin } | null;
  /** The host's GPU count and, once a check has run this session, its trainer environment. */
  machineOf(id: HostId): { gpuCount: number; environment: TrainerEnvironment | null } | null;
}

/** How the studio logs in to a host: enough for a person to reach it with `ssh`. */
export interface HostLogin {
  host: string;
  port: number;
  username: string;
}

const passphraseRef = (id: HostId): string => `host:${id}:passphrase`;
const CONNECT_TIMEOUT_MS = 15_000;

export class HostService implements RemoteHosts {
  readonly hostKeys: HostKeyStore;
  /** The last doctor report of each host checked in this process, for estimates. */
  private readonly checked = new Map<HostId, TrainerEnvironment>();

  constructor(
    private readonly repo: HostsRepo,
    private readonly secrets: SecretStore,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    private readonly options: HostServiceOptions,
  ) {
    this.hostKeys = new KnownHostsFile(path.join(options.dataDir, KNOWN_HOSTS_FILE));
  }

  list(): Host[] {
    return this.repo.list().map((h) => this.withSecret(h));
  }

  get(id: HostId): Host {
    const host = this.repo.get(id);
    if (!host) throw new StudioFailure('not_found', 'That SSH host no longer exists; see Settings → Hosts.');
    return this.withSecret(host);
  }

  save(draft: HostDraft & { id?: HostId }): Host {
    const existing = draft.id === undefined ? undefined : this.get(draft.id);
    const id = existing?.id ?? (this.newId() as HostId);
    const clean = this.validate(draft, existing?.id);
    this.repo.upsert({ id, ...clean }, this.clock.now());
    // The machine of a deleted host added again: its runs not over yet are reachable again (resume, stop, cancel).
    if (!existing) this.repo.adoptRuns(id, clean);
    if (draft.passphrase !== undefined) {
      if (draft.passphrase === '') this.secrets.delete(passphraseRef(id));
      else this.secrets.set(passphraseRef(id), draft.passphrase);
    }
    this.events.emit('hosts/changed', { hostId: id });
    return this.get(id);
  }

  /**
   * Refused while runs on the host are live (queued, running, stopping), naming them, unless
   * `force`: those runs then train on out of the studio's reach, and cancelling one ends it here only
   * (its note says where to stop it by hand).
   */
  delete(id: HostId, force = false): { deleted: true } {
    const host = this.get(id);
    const live = this.repo.unfinishedRuns(id);
    if (live.length > 0 && !force) {
      const runs = live.map((r) => `${r.characterName} (run ${r.id}, ${r.status})`).join(', ');
      const one = live.length === 1;
      const them = one ? 'it' : 'them';
      throw new StudioFailure(
        'conflict',
        `${host.name} has ${one ? 'a live training run' : `${live.length} live training runs`}: ${runs}. Cancel or stop ${them} first (or let ${them} finish), then delete the host. Deleted now, the host would leave ${them} training on ${host.username}@${host.host} out of the studio's reach, to stop by hand there.`,
      );
    }
    this.repo.delete(id);
    this.secrets.delete(passphraseRef(id));
    this.events.emit('hosts/changed', { hostId: null });
    return { deleted: true };
  }

  machineOf(id: HostId): { gpuCount: number; environment: TrainerEnvironment | null } | null {
    const host = this.repo.get(id);
    return host ? { gpuCount: host.gpuCount, environment: this.checked.get(id) ?? null } : null;
  }

  launcherFor(id: HostId): { launcher: SshTrainerLauncher; label: string; login: HostLogin } | null {
    const host = this.repo.get(id);
    if (!host) return null;
    return {
      launcher: new SshTrainerLauncher(this.sshConfig(host), this.launcherOptions()),
      label: host.name,
      login: { host: host.host, port: host.port, username: host.username },
    };
  }

  /** Checks the host key, logs in and runs the trainer's doctor there. Never throws for a bad host. */
  async test(id: HostId): Promise<HostCheck> {
    const host = this.get(id);
    const known = await this.hostKeys.keysFor(host.host, host.port);
    let key: Buffer;
    try {
      key = await presentedHostKey(host, known.trusted);
    } catch (error) {
      return { ok: false, summary: (error as Error).message, fingerprint: null, needsTrust: false, doctor: null };
    }
    const shown = fingerprint(key);
    const verdict = judgeHostKey(known, key);
    if (verdict !== 'trusted') {
      const error = new SshHostKeyError(verdict, host.host, host.port, key);
      return { ok: false, summary: error.message, fingerprint: shown, needsTrust: verdict === 'unknown', doctor: null };
    }
    const { launcher } = this.launcherFor(id)!;
    try {
      await launcher.connect();
      const doctor = await this.remoteDoctor(launcher, host);
      this.checked.set(id, doctor);
      const summary = doctor.ok
        ? `Logged in to ${host.username}@${host.host}. ${doctor.summary}`
        : `Logged in to ${host.username}@${host.host}, but the trainer cannot run there yet: ${doctor.summary}`;
      return { ok: true, summary, fingerprint: shown, needsTrust: false, doctor };
    } catch (error) {
      return { ok: false, summary: (error as Error).message, fingerprint: shown, needsTrust: false, doctor: null };
    } finally {
      await launcher.detach();
    }
  }

  /** Trusts the key the host presents now if its fingerprint is the one the user was shown; then tests. */
  async trust(id: HostId, expected: string): Promise<HostCheck> {
    const host = this.get(id);
    const known = await this.hostKeys.keysFor(host.host, host.port);
    let key: Buffer;
    try {
      key = await presentedHostKey(host, known.trusted);
    } catch (error) {
      throw new StudioFailure('unavailable', (error as Error).message);
    }
    const presented = fingerprint(key);
    if (presented !== expected.trim()) {
      throw new StudioFailure(
        'conflict',
        `${host.host}:${host.port} now presents ${keyType(key)} ${presented}, not the ${expected.trim() || '(empty)'} you confirmed. Nothing was trusted; test the host again and check the new fingerprint with its administrator.`,
      );
    }
    const verdict = judgeHostKey(known, key);
    if (verdict === 'changed' || verdict === 'revoked') {
      throw new StudioFailure('conflict', new SshHostKeyError(verdict, host.host, host.port, key).message);
    }
    if (verdict === 'unknown') await this.hostKeys.trust(host.host, host.port, key);
    return this.test(id);
  }

  private async remoteDoctor(launcher: SshTrainerLauncher, host: StoredHost): Promise<TrainerEnvironment> {
    const trainer = await launcher.uploadTrainer();
    const venvPython = posix.join(launcher.remoteRoot, 'venv', 'bin', 'python');
    let why = '';
    for (const python of [host.python, venvPython]) {
      const result = await launcher.exec(
        `cd ${shellQuote(trainer)} && PYTHONPATH=${shellQuote(trainer)} ${shellQuote(python)} -m character_trainer doctor`,
      );
      const line = result.stdout.trim().split('\n').pop() ?? '';
      if (result.code === 0 && line) {
        try {
          const event = parseTrainerEvent(line);
          if (event.type === 'doctor') return environmentOf(event, python, `${host.name}: `);
        } catch {
          // fall through to the next interpreter
        }
      }
      if (python === host.python) why = result.stderr.trim().split('\n').pop() ?? `exit ${String(result.code)}`;
    }
    return failedEnvironment(
      host.python,
      `${host.python} lacks the trainer's packages (${why}). The first training run creates ${venvPython} and installs them with pip (this needs internet access on the host), or set the host's Python to an interpreter that has them.`,
    );
  }

  private sshConfig(host: StoredHost): SshHostConfig {
    const passphrase = this.secrets.get(passphraseRef(host.id));
    return {
      host: host.host,
      port: host.port,
      username: host.username,
      ...(host.privateKeyPath && { privateKeyPath: host.privateKeyPath }),
      ...(passphrase && { passphrase }),
      python: host.python,
      remoteRoot: host.remoteRoot,
      gpuCount: host.gpuCount,
      ...(this.options.remoteEnv && { env: this.options.remoteEnv }),
    };
  }

  private launcherOptions(): SshLauncherOptions {
    return { hostKeys: this.hostKeys, trainerDir: this.options.trainerDir, ...this.options.launcher };
  }

  private withSecret(host: StoredHost): Host {
    return { ...host, hasPassphrase: this.secrets.get(passphraseRef(host.id)) !== undefined };
  }

  private validate(draft: HostDraft, except?: HostId): Omit<StoredHost, 'id' | 'createdAt' | 'updatedAt'> {
    const name = draft.name.trim();
    const address = draft.host.trim();
    const username = draft.username.trim();
    const privateKeyPath = draft.privateKeyPath.trim();
    if (!name) throw new StudioFailure('invalid_argument', 'Give the host a name, e.g. "lab-gpu".');
    if (this.repo.nameTaken(name, except))
      throw new StudioFailure('conflict', `A host named "${name}" already exists; choose another name.`);
    if (!address || /[\s@/]/.test(address)) {
      throw new StudioFailure(
        'invalid_argument',
        `"${draft.host}" is not a host name or address; write just the machine, e.g. gpu.example.org or 10.0.0.5 (the user goes in its own field).`,
      );
    }
    if (!Number.isInteger(draft.port) || draft.port < 1 || draft.port > 65535)
      throw new StudioFailure('invalid_argument', 'The port must be a whole number from 1 to 65535 (SSH uses 22).');
    if (!username || /\s/.test(username))
      throw new StudioFailure('invalid_argument', 'Give the user name to log in as on the host.');
    if (privateKeyPath && !fs.existsSync(privateKeyPath)) {
      throw new StudioFailure(
        'invalid_argument',
        `The private key file ${privateKeyPath} does not exist on this machine. Choose an existing key file, or leave it empty to use the SSH agent.`,
      );
    }
    if (!Number.isInteger(draft.gpuCount) || draft.gpuCount < 1 || draft.gpuCount > 64)
      throw new StudioFailure('invalid_argument', 'The number of GPUs must be a whole number from 1 to 64.');
    return {
      name,
      host: address,
      port: draft.port,
      username,
      privateKeyPath,
      python: draft.python.trim() || 'python3',
      remoteRoot: draft.remoteRoot.trim() || '.character-studio',
      gpuCount: draft.gpuCount,
    };
  }
}

/**
 * The host key a server presents, read during key exchange without logging in (the verifier
 * refuses, so no credentials are sent). The pinned keys' types are asked for first, so a server
 * holding several keys shows the one on record. Throws with a clear message when it cannot be reached.
 */
export function presentedHostKey(
  host: { host: string; port: number; username: string },
  pinned: Buffer[] = [],
): Promise<Buffer> {
  const client = new ssh2.Client();
  let key: Buffer | null = null;
  return new Promise<Buffer>((resolve, reject) => {
    client.once('ready', () => {
      client.end();
      reject(new Error(`${host.host}:${host.port} accepted a connection without checking its host key; refusing.`));
    });
    client.once('error', (error: Error) => {
      client.end();
      if (key) resolve(key);
      else
        reject(
          new Error(
            `Cannot connect to ${host.host}:${host.port}: ${clause(error.message)}. Check the host name, the port and that the machine is reachable.`,
          ),
        );
    });
    client.connect({
      host: host.host,
      port: host.port,
      username: host.username,
      readyTimeout: CONNECT_TIMEOUT_MS,
      algorithms: { serverHostKey: hostKeyAlgorithms(pinned) },
      hostVerifier: (presented: Buffer) => {
        key = Buffer.from(presented);
        return false;
      },
    });
  });
}
