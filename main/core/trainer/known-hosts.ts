/**
 * Host keys the user has trusted, in OpenSSH's known_hosts format (plain or hashed `|1|` host
 * patterns, `*`/`?` wildcards and `!` negations; `[host]:port` for ports other than 22). Keys are
 * compared as the SSH wire-format blob, the base64 field of a known_hosts line. `@revoked` lines
 * name keys that must never be accepted; `@cert-authority` lines are not supported and never trust.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';

/** What the store says about host:port, as wire-format blobs. */
export interface KnownKeys {
  /** Keys trusted for the host (none: an unknown host). */
  trusted: Buffer[];
  /** Keys marked `@revoked` for the host: refused even when also listed as trusted. */
  revoked: Buffer[];
}

export interface HostKeyStore {
  keysFor(host: string, port: number): Promise<KnownKeys>;
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

/** OpenSSH's glob: `*` any run of characters, `?` one character, the rest literal. */
function globMatches(pattern: string, name: string): boolean {
  // Iterative wildcard matching (linear backtracking on the last `*`), never a RegExp built from the file.
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (star !== -1) {
      p = star + 1;
      n = ++mark;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Whether a known_hosts host field names `name` (`host` or `[host]:port`), as OpenSSH decides. */
function patternMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const lower = name.toLowerCase();
  let matched = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!globMatches(pattern, lower)) continue;
    if (negated) return false; // a matching negation wins over every positive pattern
    matched = true;
  }
  return matched;
}

export class KnownHostsFile implements HostKeyStore {
  constructor(readonly path: string) {}

  async keysFor(host: string, port: number): Promise<KnownKeys> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { trusted: [], revoked: [] };
      throw error;
    }
    const name = hostPattern(host, port);
    const found: KnownKeys = { trusted: [], revoked: [] };
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const fields = line.split(/\s+/);
      const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
      if (marker !== undefined && marker !== '@revoked') continue; // @cert-authority: not supported, never trusted
      const [hosts, , blob] = fields;
      if (!hosts || !blob || !patternMatches(hosts, name)) continue;
      (marker === '@revoked' ? found.revoked : found.trusted).push(Buffer.from(blob, 'base64'));
    }
    return found;
  }

  async trust(host: string, port: number, key: Buffer): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${hostPattern(host, port)} ${keyType(key)} ${key.toString('base64')}\n`, {
      mode: 0o600,
    });
  }
}

export type HostKeyVerdict = 'trusted' | 'unknown' | 'changed' | 'revoked';

/**
 * `revoked` when the key is marked `@revoked` (refuse, whatever else is recorded); `changed` when
 * the store holds any other key for the host, of the same type or not: a server that suddenly
 * offers only another key type is as suspect as one whose key changed (refuse, offer no trust);
 * `unknown` when it holds none (ask the user, showing the fingerprint). Offer the pinned types
 * first (`hostKeyAlgorithms`) so a server holding several keys presents the pinned one.
 */
export function judgeHostKey(known: KnownKeys, presented: Buffer): HostKeyVerdict {
  if (known.revoked.some((key) => key.equals(presented))) return 'revoked';
  if (known.trusted.some((key) => key.equals(presented))) return 'trusted';
  return known.trusted.length > 0 ? 'changed' : 'unknown';
}

/** ssh2's host key algorithms, most preferred first (its documented default list). */
const DEFAULT_HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** The signature algorithms a key of `type` (as a known_hosts line names it) is offered with. */
function algorithmsOf(type: string): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
}

/**
 * The host key algorithms to ask for: those of the pinned keys first, then the rest, so that a
 * server holding an ed25519 and an RSA key, pinned by its RSA key, presents that one (ssh2 takes
 * the client's first choice the server supports).
 */
export function hostKeyAlgorithms(trusted: Buffer[]): ServerHostKeyAlgorithm[] {
  const pinned = trusted
    .flatMap((key) => algorithmsOf(keyType(key)))
    .filter((name): name is ServerHostKeyAlgorithm => (DEFAULT_HOST_KEY_ALGORITHMS as string[]).includes(name));
  return [...new Set([...pinned, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}
