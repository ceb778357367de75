import fs from 'node:fs';
import path from 'node:path';

/**
 * Where API keys live: never in the database, never in logs. The desktop shell supplies a store
 * encrypted with the OS keychain (Electron safeStorage); `serve` and the CLI use a file readable by
 * the user alone. A stored value `env:NAME` means "read the environment variable NAME".
 */
export interface SecretStore {
  get(ref: string): string | undefined;
  set(ref: string, value: string): void;
  delete(ref: string): void;
  /** Every reference that has a secret. */
  refs(): string[];
  /**
   * Changes whenever the stored secrets may have changed: at once after a write through this store,
   * and within about a second of a write by another process (the CLI and `serve` share the file).
   * Lets a caller keep what it derived from them (the redactor's key list) until then. A store
   * without it is read again on every use.
   */
  version?(): string;
}

export interface SecretCodec {
  encode(plain: string): string;
  decode(stored: string): string;
}

const plainCodec: SecretCodec = { encode: (s) => s, decode: (s) => s };

/** How often `FileSecretStore.version` looks at the file again, and the clock it counts on. */
export interface SecretFileChecks {
  /** Ms a `version` stays trusted without a `stat`; default 1,000. */
  recheckMs?: number;
  /** A monotonic clock in ms; default `performance.now`. */
  now?: () => number;
}

/**
 * A JSON file of secrets (mode 0600), optionally encrypted entry by entry by `codec`. What was read
 * (and decoded) is kept while the file's identity is unchanged: every write replaces the file
 * (a new inode), so a write by another process is seen at the next read, for the price of a
 * `stat`. `version`, asked for with every redaction (each LLM answer, each event a door sends),
 * looks at the file at most once per `recheckMs`: this store's own writes move it at once.
 */
export class FileSecretStore implements SecretStore {
  private cache: { version: string; all: Record<string, string>; plain: Map<string, string> } | null = null;
  /** The file's identity as last looked at, and when (on `now`'s clock). */
  private checked: { version: string; at: number } | null = null;
  private readonly recheckMs: number;
  private readonly now: () => number;

  constructor(
    private readonly file: string,
    private readonly codec: SecretCodec = plainCodec,
    checks: SecretFileChecks = {},
  ) {
    this.recheckMs = checks.recheckMs ?? 1_000;
    this.now = checks.now ?? (() => performance.now());
  }

  get(ref: string): string | undefined {
    const stored = this.read()[ref];
    if (stored === undefined) return undefined;
    const plain = this.cache?.plain;
    let value = plain?.get(stored);
    if (value === undefined) {
      value = this.codec.decode(stored);
      plain?.set(stored, value);
    }
    return value;
  }

  refs(): string[] {
    return Object.keys(this.read());
  }

  version(): string {
    const checked = this.checked;
    if (checked && this.now() - checked.at < this.recheckMs) return checked.version;
    return this.look();
  }

  set(ref: string, value: string): void {
    const all = this.read();
    all[ref] = this.codec.encode(value);
    this.write(all);
  }

  delete(ref: string): void {
    const all = this.read();
    if (!(ref in all)) return;
    delete all[ref];
    this.write(all);
  }

  /** The file's identity now (a `stat`), remembered for `version`. */
  private look(): string {
    let version: string;
    try {
      const stat = fs.statSync(this.file);
      version = `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
    } catch {
      version = 'absent';
    }
    this.checked = { version, at: this.now() };
    return version;
  }

  /** The secrets as the file holds them now: a read always looks at the file. */
  private read(): Record<string, string> {
    const version = this.look();
    if (this.cache?.version === version) return this.cache.all;
    let all: Record<string, string>;
    try {
      all = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, string>;
    } catch {
      all = {};
    }
    this.cache = { version, all, plain: new Map() };
    return all;
  }

  private write(all: Record<string, string>): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(all, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
    fs.chmodSync(this.file, 0o600);
    this.cache = null;
    this.checked = null;
  }
}

/** Resolves `env:NAME` references at call time. */
export function resolveSecret(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value === undefined) return undefined;
  const match = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
  return match ? env[match[1]!] : value;
}
