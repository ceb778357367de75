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
}

export interface SecretCodec {
  encode(plain: string): string;
  decode(stored: string): string;
}

const plainCodec: SecretCodec = { encode: (s) => s, decode: (s) => s };

/** A JSON file of secrets (mode 0600), optionally encrypted entry by entry by `codec`. */
export class FileSecretStore implements SecretStore {
  constructor(
    private readonly file: string,
    private readonly codec: SecretCodec = plainCodec,
  ) {}

  get(ref: string): string | undefined {
    const stored = this.read()[ref];
    return stored === undefined ? undefined : this.codec.decode(stored);
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
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  private write(all: Record<string, string>): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(all, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
    fs.chmodSync(this.file, 0o600);
  }
}

/** Resolves `env:NAME` references at call time. */
export function resolveSecret(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value === undefined) return undefined;
  const match = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
  return match ? env[match[1]!] : value;
}
