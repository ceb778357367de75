import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  readJsonBody,
  THREAD_PARSE_BYTES,
  TOO_LARGE_MESSAGE,
  type ParsedBody,
} from '../../../main/server/request-body';

/**
 * A command's body read as JSON (issue 9, point 3): small bodies parsed on the serving thread, big
 * ones (a profile's base64) on a thread of their own, whose long strings come back apart as bytes.
 * Either way the value is exactly JSON.parse's.
 */

let server: http.Server;
let port: number;
const LIMIT = 16 * 1024 * 1024;

beforeEach(async () => {
  server = http.createServer((req, res) => {
    readJsonBody(req, LIMIT).then(
      (parsed) => res.end(JSON.stringify({ parsed })),
      (error: Error) => res.end(JSON.stringify({ rejected: error.message })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Posts `body` with its length declared; what the server read, sent back as JSON. */
function post(body: string | Buffer): Promise<{ parsed?: ParsedBody; rejected?: string }> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', headers: { 'content-length': String(bytes.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { parsed?: ParsedBody; rejected?: string }),
        );
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

/** A value nested `depth` arrays deep around `inner`. */
function nested(depth: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('reading a command body as JSON', () => {
  it('gives exactly what JSON.parse gives, big strings of every kind included', async () => {
    const latin1 = 'QUJD'.repeat(300_000) + 'é×ÿ';
    const wide = 'Beethoven 😀 ünd Ωmega — '.repeat(20_000);
    const value = {
      characterId: 'c1',
      fileBase64: latin1,
      fileName: 'life.txt',
      parts: [1, 'short', { text: wide, n: -0.5, ok: true, none: null }, wide.slice(0, 70_000)],
      // An own key named __proto__, as JSON.parse makes it.
      ...JSON.parse(`{"__proto__": ${JSON.stringify('p'.repeat(70_000))}}`),
      deep: nested(40, 'd'.repeat(70_000)),
      empty: '',
    };
    const text = JSON.stringify(value);
    expect(Buffer.byteLength(text)).toBeGreaterThan(THREAD_PARSE_BYTES);
    const { parsed } = await post(text);
    expect(parsed?.ok).toBe(true);
    const got = (parsed as { value: Record<string, unknown> }).value;
    // Compared as text (the response's own JSON.parse would turn "__proto__" into a prototype), and
    // as a yes or no: a failure's diff would print megabytes.
    const same = JSON.stringify(got) === text;
    expect(
      same,
      `the value read differs from JSON.parse's (${JSON.stringify(got).length} / ${text.length} characters)`,
    ).toBe(true);
    expect(Object.keys(got)).toContain('__proto__');
  });

  it('reads small bodies too, and an empty one as {}', async () => {
    expect((await post('{"a":[1,"two",{"b":null}]}')).parsed).toEqual({
      ok: true,
      value: { a: [1, 'two', { b: null }] },
    });
    expect((await post('')).parsed).toEqual({ ok: true, value: {} });
  });

  it('says what is wrong with a body that is not JSON, big or small', async () => {
    for (const text of ['{"fullName": ', `{"fileBase64": "${'A'.repeat(THREAD_PARSE_BYTES)}"`]) {
      let expected = '';
      try {
        JSON.parse(text);
      } catch (error) {
        expected = (error as Error).message;
      }
      const { parsed } = await post(text);
      expect(parsed).toEqual({ ok: false, message: expected });
    }
  });

  it('refuses a body over the limit', async () => {
    const { rejected } = await post(Buffer.alloc(LIMIT + 1, 0x61));
    expect(rejected).toBe(TOO_LARGE_MESSAGE);
  });
});
