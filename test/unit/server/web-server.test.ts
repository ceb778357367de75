import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebServer } from '../../../main/server/web-server';
import { makeStudio } from '../../support/studio';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: () => { result?: unknown; error?: { code: string; message: string } };
}

let env: ReturnType<typeof makeStudio>;
let server: WebServer;
let port: number;

function request(
  method: string,
  pathname: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; auth?: boolean } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {
    ...(options.auth !== false && { authorization: `Bearer ${server.token}` }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const invoke = (name: string, arg: unknown, headers: Record<string, string> = {}) =>
  request('POST', `/api/invoke/${name}`, {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(arg),
  });

beforeEach(async () => {
  env = makeStudio();
  const staticDir = path.join(env.dir, 'static');
  fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
  fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(env.dir, 'secret.txt'), 'TOP-SECRET-CONTENT');
  server = new WebServer({ studio: env.studio, staticDir, port: 0 });
  const url = await server.start();
  port = Number(new URL(url).port);
});
afterEach(async () => {
  await server.close();
  env.cleanup();
});

describe('the web door', () => {
  it('binds 127.0.0.1 and prints a URL with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    const other = new WebServer({ studio: env.studio, staticDir: '.', port: 0 });
    expect(other.token).not.toBe(server.token);
  });

  it('serves commands to a caller with the token', async () => {
    const reply = await invoke('characters/create', {
      fullName: 'Ada Lovelace',
      shortName: 'Ada',
      era: '1815–1852',
      notes: '',
    });
    expect(reply.status).toBe(200);
    expect(reply.json().result).toMatchObject({ fullName: 'Ada Lovelace' });
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  it('answers 401 without the token or with a wrong one, on every route', async () => {
    for (const [method, route] of [
      ['POST', '/api/invoke/characters/list'],
      ['GET', '/api/events'],
      ['GET', '/assets/app.js'],
      ['GET', '/'],
    ] as const) {
      const none = await request(method, route, {
        auth: false,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(none.status, `${method} ${route}`).toBe(401);
      const wrong = await request(method, route, {
        auth: false,
        headers: { authorization: `Bearer ${server.token.slice(0, -1)}x`, cookie: 'cs_token=nope' },
      });
      expect(wrong.status, `${method} ${route}`).toBe(401);
    }
    const page = await request('GET', '/', { auth: false });
    expect(page.body).toContain('access token');
  });

  it('trades the URL token for an HttpOnly SameSite cookie that then authorises requests', async () => {
    const first = await request('GET', `/?token=${server.token}`, { auth: false });
    expect(first.status).toBe(303);
    const cookie = first.headers['set-cookie']![0]!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await request('GET', '/', { auth: false, headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    const bad = await request('GET', `/?token=wrong`, { auth: false });
    expect(bad.status).toBe(401);
  });

  it('answers 403 to a foreign Origin, a cross-site fetch or a rebinding Host, even with the token', async () => {
    expect((await invoke('characters/list', {}, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await invoke('characters/list', {}, { origin: 'null' })).status).toBe(403);
    expect((await invoke('characters/list', {}, { origin: `http://127.0.0.1:${port + 1}` })).status).toBe(403);
    expect((await invoke('characters/list', {}, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await invoke('characters/list', {}, { host: `evil.example:${port}` })).status).toBe(403);
    expect((await invoke('characters/list', {}, { origin: `http://localhost:${port}` })).status).toBe(200);
    expect((await invoke('characters/list', {}, { origin: `http://127.0.0.1:${port}` })).status).toBe(200);
  });

  it('answers 400 with a reason to malformed requests, and keeps serving', async () => {
    const cases: [string, Record<string, string>, string, number, RegExp][] = [
      ['characters/create', { 'content-type': 'application/json' }, '{"fullName": ', 400, /not valid JSON/],
      ['characters/create', { 'content-type': 'application/json' }, '[1,2]', 400, /must be a JSON object/],
      ['characters/create', { 'content-type': 'application/json' }, '"x"', 400, /must be a JSON object/],
      ['characters/create', { 'content-type': 'application/json' }, '{"fullName": 1}', 400, /fullName/],
      ['characters/create', { 'content-type': 'text/plain' }, '{}', 415, /application\/json/],
      ['characters/nuke', { 'content-type': 'application/json' }, '{}', 404, /no command/],
      ['constructor', { 'content-type': 'application/json' }, '{}', 404, /no command/],
      ['chunks/split', { 'content-type': 'application/json' }, '{"id":"x","offset":"1"}', 400, /offset/],
      [
        'characters/list',
        { 'content-type': 'application/json' },
        '{"__proto__": {"admin": true}}',
        400,
        /__proto__|Unrecognized/,
      ],
    ];
    for (const [name, headers, body, status, pattern] of cases) {
      const reply = await request('POST', `/api/invoke/${name}`, { headers, body });
      expect(reply.status, `${name} ${body}`).toBe(status);
      expect(reply.json().error?.message, `${name} ${body}`).toMatch(pattern);
    }
    expect((await request('GET', '/api/invoke/characters/list')).status).toBe(405);
    expect((await invoke('characters/list', {})).status).toBe(200);
  });

  it('refuses bodies over the limit with 413, read by the client that is still sending, and no crash', async () => {
    const huge = Buffer.alloc(17 * 1024 * 1024, 0x61);
    // Sent in chunks (the size is found while reading) and with its length declared (refused at once):
    // either way the client gets the answer, not a reset connection.
    const ways: Record<string, string>[] = [{}, { 'content-length': String(huge.length) }];
    for (const headers of ways) {
      const reply = await request('POST', '/api/invoke/profiles/import', {
        headers: { 'content-type': 'application/json', ...headers },
        body: huge,
      });
      expect(reply.status).toBe(413);
      expect(reply.json().error).toMatchObject({ code: 'too_large', message: expect.stringContaining('16 MB') });
    }
    expect((await invoke('characters/list', {})).status).toBe(200);
  });

  it('never serves files outside the renderer folder', async () => {
    for (const route of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt']) {
      const reply = await request('GET', route);
      expect(reply.status, route).toBe(404);
      expect(reply.body).not.toContain('TOP-SECRET-CONTENT');
    }
    expect((await request('GET', '/assets/app.js')).status).toBe(200);
    expect((await request('GET', '/%E0%A4%A')).status).toBe(400);
    expect(
      (await request('POST', '/api/invoke/%E0%A4%A', { headers: { 'content-type': 'application/json' }, body: '{}' }))
        .status,
    ).toBe(400);
  });

  it('streams contract events to authorised clients', async () => {
    const received = new Promise<string>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/api/events', headers: { authorization: `Bearer ${server.token}` } },
        (res) => {
          expect(res.headers['content-type']).toMatch(/text\/event-stream/);
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            if (text.includes('event: characters/changed')) {
              req.destroy();
              resolve(text);
            }
          });
          void invoke('characters/create', { fullName: 'Ada Lovelace', shortName: 'Ada', era: '', notes: '' });
        },
      );
      req.on('error', reject);
    });
    expect(await received).toMatch(/event: characters\/changed\ndata: \{"characterId":"[^"]+"\}/);
  });

  it('accepts a bounded number of event streams and answers 429 with the reason beyond it', async () => {
    await server.close();
    server = new WebServer({
      studio: env.studio,
      staticDir: path.join(env.dir, 'static'),
      port: 0,
      maxEventStreams: 3,
    });
    port = Number(new URL(await server.start()).port);
    const open = (): Promise<{ status: number; req: http.ClientRequest; res: http.IncomingMessage }> =>
      new Promise((resolve, reject) => {
        const req = http.get(
          { host: '127.0.0.1', port, path: '/api/events', headers: { authorization: `Bearer ${server.token}` } },
          (res) => resolve({ status: res.statusCode ?? 0, req, res }),
        );
        req.on('error', reject);
      });
    const streams = [await open(), await open(), await open()];
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    const refused = await request('GET', '/api/events');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.json().error?.message).toMatch(/Too many open event streams \(3\)\. Close other studio tabs/);

    // A stream that closes frees its place (the server sees the close, then the next one is let in).
    const first = streams.shift()!;
    const closed = new Promise((resolve) => first.res.once('close', resolve));
    first.req.destroy();
    await closed;
    let again = await open();
    while (again.status === 429) {
      again.req.destroy();
      await new Promise((resolve) => setImmediate(resolve));
      again = await open();
    }
    expect(again.status).toBe(200);
    for (const s of [...streams, again]) s.req.destroy();
  });
});
