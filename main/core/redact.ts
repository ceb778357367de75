/**
 * Secret redaction: every encoding of every configured secret is masked before text is stored
 * (call records, work item errors, job messages) or printed (CLI, server, events).
 *
 * Contract:
 * - A secret is found as written and in upper, lower or mixed case; as base64 and base64url (also
 *   inside a longer encoded string, such as `Basic` credentials, whatever its byte alignment); as
 *   hex; URL-encoded; JSON-escaped. Each occurrence becomes `***`.
 * - Secrets shorter than `MIN_SECRET_CHARS` are masked only as written (case-insensitive); their
 *   encodings would be too short to tell from ordinary text. Encoded forms shorter than
 *   `MIN_ENCODED_CHARS` are skipped for the same reason.
 * - Matching is a single RegExp of literal alternatives (no backtracking blow-up), compiled once per
 *   set of secrets and reused while the set is unchanged.
 */
export const MASK = '***';
const MIN_SECRET_CHARS = 4;
const MIN_ENCODED_CHARS = 8;

/**
 * The base64 characters fully determined by `bytes` when they sit at byte offset `shift` (0–2)
 * inside a longer encoded stream: the characters shared with neighbouring bytes are cut off.
 */
function base64Core(bytes: Buffer, shift: number): string {
  const padded = Buffer.concat([Buffer.alloc(shift), bytes]);
  let text = padded.toString('base64').replace(/=+$/, '');
  // Leading characters that mix in the `shift` filler bytes: 0, 2 or 3 of them.
  text = text.slice([0, 2, 3][shift]);
  // A last group that is not whole mixes in the byte that follows.
  return padded.length % 3 === 0 ? text : text.slice(0, -1);
}

/** Every form of `secret` that should not appear in stored or printed text. */
export function secretForms(secret: string): string[] {
  if (secret.length < MIN_SECRET_CHARS) return [];
  const forms = new Set<string>([secret]);
  if (secret.length >= MIN_SECRET_CHARS * 2) {
    for (const variant of new Set([secret, secret.toUpperCase(), secret.toLowerCase()])) {
      const bytes = Buffer.from(variant, 'utf8');
      for (const shift of [0, 1, 2]) {
        const core = base64Core(bytes, shift);
        forms.add(core);
        forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
      }
      forms.add(bytes.toString('hex'));
      forms.add(encodeURIComponent(variant));
      forms.add(JSON.stringify(variant).slice(1, -1));
    }
  }
  return [...forms].filter((form) => form === secret || form.length >= MIN_ENCODED_CHARS);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One RegExp matching any form of any of `secrets`, longest first; null when there is nothing to hide. */
export function secretPattern(secrets: Iterable<string>): RegExp | null {
  const forms = [...new Set([...secrets].flatMap(secretForms))].sort((a, b) => b.length - a.length);
  return forms.length === 0 ? null : new RegExp(forms.map(escapeRegExp).join('|'), 'gi');
}

/** Masks every form of each of `secrets` in `text`. */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const pattern = secretPattern(secrets);
  return pattern ? text.replace(pattern, MASK) : text;
}

/**
 * Redacts with the secrets configured right now (`secrets` is asked on every call, so a key added
 * or changed later is covered); the compiled pattern is cached until the set changes.
 */
export class SecretRedactor {
  private cachedFor = '';
  private pattern: RegExp | null = null;

  constructor(private readonly secrets: () => Iterable<string | undefined>) {}

  redact(text: string): string {
    const pattern = this.current();
    return pattern ? text.replace(pattern, MASK) : text;
  }

  /** A copy of a JSON-like value with every string in it redacted. */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((item: unknown) => this.redactValue(item)) as T;
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactValue(v)])) as T;
    }
    return value;
  }

  private current(): RegExp | null {
    const list = [...this.secrets()].filter((s): s is string => typeof s === 'string' && s.length > 0).sort();
    const key = JSON.stringify(list);
    if (key !== this.cachedFor) {
      this.cachedFor = key;
      this.pattern = secretPattern(list);
    }
    return this.pattern;
  }
}
