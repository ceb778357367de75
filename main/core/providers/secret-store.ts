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
   * Changes whenever the stored secrets may have changed, written by this process or another (the
   * CLI and `serve` share the file): lets a caller keep what it derived from them (the redactor's
   * key list) until then. A store without it is read again on every use.
   */
  version?(): string;
}

export interface SecretCodec {
  encode(plain: string): string;
  decode(stored: string): string;
}

const plainCodec: SecretCodec = { encode: (s) => s, decode: (s) => s };

/**
 * A JSON file of secrets (mode 0600), optionally encrypted entry by entry by `codec`. What was read
 * (and decoded) is kept while the file's identity is unchanged: every write replaces the file
 * (a new inode), so a write by another process is seen at the next use, for the price of a `stat`.
 */
export class FileSecretStore implements SecretStore {
  private cache: { version: string; all: Record<string, string>; plain: Map<string, string> } | null = null;

  constructor(
    private readonly file: string,
    private readonly codec: SecretCodec = plainCodec,
  ) {}

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
    try {
      const stat = fs.statSync(this.file);
      return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
    } catch {
      return 'absent';
    }
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

  private read(): Record<string, string> {
    const version = this.version();
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
  }
}

/** Resolves `env:NAME` references at call time. */
export function resolveSecret(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value === undefined) return undefined;
  const match = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
  return match ? env[match[1]!] : value;
}
