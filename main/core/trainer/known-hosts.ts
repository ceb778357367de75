/**
 * Host keys the user has trusted, in OpenSSH's known_hosts format (plain or hashed `|1|` host
 * patterns; `[host]:port` for ports other than 22). Keys are compared as the SSH wire-format
 * blob, the base64 field of a known_hosts line.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface HostKeyStore {
  /** Trusted keys recorded for host:port, as wire-format blobs (empty: unknown host). */
  keysFor(host: string, port: number): Promise<Buffer[]>;
  /** Records a key the user chose to trust. */
  trust(host: string, port: number, key: Buffer): Promise<void>;
}

/** The key's algorithm name, the first string of the wire-format blob (e.g. `ssh-ed25519`). */
export function keyType(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('latin1');
}

/** `SHA256:<base64 without padding>`, as `ssh-keygen -l` and OpenSSH's prompts show it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function patternMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return field.split(',').some((pattern) => pattern === name);
}

export class KnownHostsFile implements HostKeyStore {
  constructor(readonly path: string) {}

  async keysFor(host: string, port: number): Promise<Buffer[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const name = hostPattern(host, port);
    const keys: Buffer[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const fields = line.split(/\s+/);
      if (fields[0]?.startsWith('@')) continue; // @revoked / @cert-authority: not supported, never trusted
      const [hosts, , blob] = fields;
      if (hosts && blob && patternMatches(hosts, name)) keys.push(Buffer.from(blob, 'base64'));
    }
    return keys;
  }

  async trust(host: string, port: number, key: Buffer): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${hostPattern(host, port)} ${keyType(key)} ${key.toString('base64')}\n`, {
      mode: 0o600,
    });
  }
}

export type HostKeyVerdict = 'trusted' | 'unknown' | 'changed';

/**
 * `changed` when the store holds a key of the same type that differs (a possible attack: refuse);
 * `unknown` when it holds none of that type (ask the user, showing the fingerprint).
 */
export function judgeHostKey(known: Buffer[], presented: Buffer): HostKeyVerdict {
  if (known.some((key) => key.equals(presented))) return 'trusted';
  const type = keyType(presented);
  return known.some((key) => keyType(key) === type) ? 'changed' : 'unknown';
}
