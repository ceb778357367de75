/** SSH hosts: remote GPUs for training. Types only. */

import type { Empty, HostId } from './base';
import type { TrainerEnvironment } from './training';

export interface HostDraft {
  /** Unique among hosts (case-insensitive); what `train --host` and the Train tab show. */
  name: string;
  /** DNS name or address of the machine. */
  host: string;
  port: number;
  username: string;
  /** OpenSSH private key file on this machine; empty logs in through the SSH agent (SSH_AUTH_SOCK). */
  privateKeyPath: string;
  /**
   * The private key's passphrase: a new value replaces the stored one, `''` removes it, absent keeps
   * it. Kept like API keys (keychain or private file), never in the database, never sent back.
   */
  passphrase?: string;
  /** Remote interpreter (default `python3`); without the trainer's packages a venv is made under remoteRoot. */
  python: string;
  /** Remote folder for the trainer, its venv and runs; relative to the remote home (default `.character-studio`). */
  remoteRoot: string;
  /** GPUs to train on; more than 1 launches through torchrun (`--standalone --nproc_per_node N`). */
  gpuCount: number;
}

export interface Host extends Omit<HostDraft, 'passphrase'> {
  id: HostId;
  hasPassphrase: boolean;
  createdAt: number;
  updatedAt: number;
}

/** `hosts/test`: never fails, reports instead. */
export interface HostCheck {
  /** Logged in and the trainer's doctor ran. */
  ok: boolean;
  summary: string;
  /** The key the server presented (`SHA256:…`), when the connection got that far. */
  fingerprint: string | null;
  /** The key is not trusted yet: show `fingerprint` and offer `hosts/trust`. */
  needsTrust: boolean;
  /** The remote trainer environment, when the login worked. */
  doctor: TrainerEnvironment | null;
}

export interface HostCommands {
  'hosts/list': (arg: Empty) => Host[];
  /**
   * Creates (no id) or updates a host. A created host at the address, port and user a deleted host's
   * runs recorded takes over those not over yet, so the studio reaches them again.
   */
  'hosts/save': (arg: HostDraft & { id?: HostId }) => Host;
  /**
   * Refused (`conflict`, naming them) while runs on the host are live, unless `force`: those runs
   * then train on out of reach, and cancelling one ends it in the studio only, with a note saying
   * where to stop its trainer by hand.
   */
  'hosts/delete': (arg: { id: HostId; force?: boolean }) => { deleted: true };
  /** Connects and runs the trainer's doctor there; an unknown host key answers `needsTrust`. */
  'hosts/test': (arg: { id: HostId }) => HostCheck;
  /**
   * Trusts the key the host presents now, only if it still has `fingerprint` (the one the user saw).
   * Keys are kept in `<dataDir>/known_hosts`; a key that CHANGED from a trusted one is refused.
   */
  'hosts/trust': (arg: { id: HostId; fingerprint: string }) => HostCheck;
}

export interface HostEvents {
  'hosts/changed': { hostId: HostId | null };
}
