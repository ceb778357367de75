import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Pool } from '../../../main/core/llm/http1';
import { leanConnections, leanRequest } from '../../../main/core/llm/lean-fetch';
import { repoRoot } from '../../support/paths';

// The generation job's HTTP/1.1 client (main/core/llm/http1.ts) against raw TCP servers that send
// exactly the bytes a test scripts (split where a test wants them split), and a real TLS server.

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

interface Exchange {
  /** The request's bytes as received (head and body). */
  request: string;
  socket: net.Socket;
}

/**
 * A server answering each request with `answer(exchange, index)`: the pieces are written one by
 * one, each in its own write, so the client sees them arrive apart.
 */
async function rawServer(answer: (exchange: Exchange, index: number) => (string | Buffer)[] | 'close' | 'hang') {
  const connections: net.Socket[] = [];
  let requests = 0;
  const server = net.createServer((socket) => {
    connections.push(socket);
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(received.slice(0, end))?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      const request = received.slice(0, end + 4 + length);
      received = received.slice(end + 4 + length);
      const pieces = answer({ request, socket }, requests++);
      if (pieces === 'close') socket.destroy();
      else if (pieces !== 'hang') writeApart(socket, pieces);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    connections.forEach((s) => s.destroy());
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  return { url: new URL(`http://127.0.0.1:${port}/v1/chat/completions?x=1`), connections, requests: () => requests };
}

/** A piece that ends the connection (after the pieces before it are written). */
const END = '\u0000end';

function writeApart(socket: net.Socket, pieces: (string | Buffer)[]): void {
  const [first, ...rest] = pieces;
  if (first === undefined || socket.destroyed) return;
  if (first === END) socket.end();
  else socket.write(first, 'latin1', () => setImmediate(() => writeApart(socket, rest)));
}

function pool(): Http1Pool {
  const made = new Http1Pool({ idleSocketMs: 4_000 });
  closers.push(() => made.close());
  return made;
}

const post = (body = '{"a":1}') => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', Authorization: 'Bearer k' },
  body,
  signal: null,
});

describe('Http1Pool', () => {
  it('sends one well-formed request and reads a Content-Length answer split anywhere', async () => {
    const server = await rawServer(() => [
      'HTTP/1.1 200 OK\r\nContent-Ty',
      'pe: application/json\r\nX-Twice: a\r\nX-Twice: b\r\nContent-Length: 11\r\n\r\n{"ok"',
      ':true}',
    ]);
    let sent = '';
    const seen = await rawServer((exchange) => {
      sent = exchange.request;
      return ['HTTP/1.1 204 No Content\r\n\r\n'];
    });
    const client = pool();
    const { head, body } = await client.request(server.url, post());
    expect(head.statusCode).toBe(200);
    expect(head.statusMessage).toBe('OK');
    expect(head.headers['x-twice']).toBe('a, b');
    expect(head.rawHeaders.slice(0, 2)).toEqual(['Content-Type', 'application/json']);
    expect(body.toString()).toBe('{"ok":true}');

    await client.request(seen.url, post('{"é":1}'));
    expect(sent).toBe(
      `POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: ${seen.url.host}\r\ncontent-type: application/json\r\n` +
        'Authorization: Bearer k\r\nContent-Length: 8\r\nConnection: keep-alive\r\n\r\n' +
        Buffer.from('{"é":1}').toString('latin1'),
    );
  });

  it('reads chunked answers, chunk extensions and trailers included, whatever the split', async () => {
    const whole =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
    // Every split point of the answer into two writes, and one byte at a time.
    const splits = [
      ...Array.from({ length: whole.length - 1 }, (_, i) => [whole.slice(0, i + 1), whole.slice(i + 1)]),
      [...whole],
    ];
    const server = await rawServer((_, i) => splits[i]!);
    const client = pool();
    for (let i = 0; i < splits.length; i++) {
      const { body } = await client.request(server.url, post());
      expect(body.toString(), `split ${i}`).toBe('hello 0123456789');
    }
    // All on one kept-alive connection.
    expect(server.connections).toHaveLength(1);
  });

  it('skips 1xx answers, reads no body for HEAD, 204 and 304, and reads to the close when nothing frames the body', async () => {
    const server = await rawServer((_, i) => {
      if (i === 0) return ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'];
      if (i === 1) return ['HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n']; // a HEAD answer: length, no body
      if (i === 2) return ['HTTP/1.1 304 Not Modified\r\n\r\n'];
      return ['HTTP/1.0 200 OK\r\n\r\nuntil ', 'the end', END];
    });
    const client = pool();
    expect((await client.request(server.url, post())).body.toString()).toBe('ok');
    const head = await client.request(server.url, { ...post(), method: 'HEAD', body: undefined });
    expect(head.body.length).toBe(0);
    expect((await client.request(server.url, post())).head.statusCode).toBe(304);
    expect((await client.request(server.url, post())).body.toString()).toBe('until the end');
  });

  it('keeps a connection for the next request, and opens another when the server closed it or asked to', async () => {
    const server = await rawServer((exchange, i) => {
      if (i === 1) return ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nb'];
      return ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'];
    });
    const client = pool();
    await client.request(server.url, post());
    await client.request(server.url, post());
    expect(server.connections).toHaveLength(1);
    await client.request(server.url, post()); // the second answer said close: a new connection
    expect(server.connections).toHaveLength(2);
    // The server drops the idle connection: the pool lets it go, and the next request opens another.
    const closed = new Promise((resolve) => server.connections[1]!.once('close', resolve));
    server.connections[1]!.destroy();
    await closed;
    await new Promise((resolve) => setImmediate(resolve));
    expect((await client.request(server.url, post())).body.toString()).toBe('x');
    expect(server.connections).toHaveLength(3);
  });

  it('closes a connection idle past idleSocketMs, or sent bytes unasked, but not one waiting on a slow answer', async () => {
    let slow: (() => void) | null = null;
    const server = await rawServer((exchange, i) => {
      if (i === 0) {
        // Answered after the idle time has passed, with no byte meanwhile.
        slow = () => writeApart(exchange.socket, ['HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow']);
        return 'hang';
      }
      return ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'];
    });
    const client = new Http1Pool({ idleSocketMs: 30 });
    closers.push(() => client.close());
    const answer = client.request(server.url, post());
    await new Promise<void>((resolve) => {
      const check = () => (slow ? resolve() : setImmediate(check));
      check();
    });
    // Three idle periods without a byte while the request waits: the connection stays.
    await new Promise((resolve) => setTimeout(resolve, 100));
    slow!();
    expect((await answer).body.toString()).toBe('slow');
    // Idle in the pool now: closed once the idle time passes.
    await new Promise((resolve) => server.connections[0]!.once('close', resolve));
    expect((await client.request(server.url, post())).body.toString()).toBe('x');
    expect(server.connections).toHaveLength(2);
    // Bytes nobody asked for, on an idle connection: it is closed, and the next request opens another.
    const closed = new Promise((resolve) => server.connections[1]!.once('close', resolve));
    server.connections[1]!.write('HTTP/1.1 200 OK\r\n');
    await closed;
    expect((await client.request(server.url, post())).body.toString()).toBe('x');
    expect(server.connections).toHaveLength(3);
  });

  it('rejects with ECONNRESET when the answer is cut off, and with HPE_INVALID when it is not HTTP', async () => {
    const server = await rawServer((exchange, i) => {
      if (i === 0) {
        setImmediate(() => exchange.socket.destroy());
        return ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf'];
      }
      if (i === 1) return 'close';
      if (i === 2) return ['SSH-2.0-OpenSSH_9.2\r\n\r\n'];
      if (i === 3) return ['HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx'];
      return ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'];
    });
    const client = pool();
    await expect(client.request(server.url, post())).rejects.toMatchObject({
      code: 'ECONNRESET',
      message: 'The server closed the connection mid-answer.',
    });
    await expect(client.request(server.url, post())).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(client.request(server.url, post())).rejects.toMatchObject({ code: 'HPE_INVALID' });
    await expect(client.request(server.url, post())).rejects.toThrow(/Content-Length "1, 2" is invalid/);
    await expect(client.request(server.url, post())).rejects.toThrow(/chunk size line/);
  });

  it('closes the connection when the caller aborts, and refuses a header value that would break the request', async () => {
    const server = await rawServer(() => 'hang');
    const client = pool();
    const controller = new AbortController();
    const pending = client.request(server.url, { ...post(), signal: controller.signal });
    await new Promise<void>((resolve) => {
      const wait = (): void => (server.requests() > 0 ? resolve() : void setImmediate(wait));
      wait();
    });
    const closed = new Promise((resolve) => server.connections[0]!.once('close', resolve));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await closed;

    await expect(
      client.request(server.url, { ...post(), headers: { Authorization: 'Bearer k\r\nX-Injected: 1' } }),
    ).rejects.toThrow(/Invalid character in header content \["Authorization"\]/);
    expect(server.connections).toHaveLength(1);
  });

  it('speaks TLS to https: endpoints, checking the certificate', async () => {
    const dir = path.join(repoRoot, 'test', 'support', 'tls');
    const cert = fs.readFileSync(path.join(dir, 'localhost.crt'), 'utf8');
    const server = https.createServer({ cert, key: fs.readFileSync(path.join(dir, 'localhost.key')) }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(JSON.stringify({ path: req.url, secure: true })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const url = new URL(`https://localhost:${(server.address() as net.AddressInfo).port}/v1/models`);
    const trusting = new Http1Pool({ ca: cert });
    closers.push(() => trusting.close());
    const answer = await leanRequest(trusting, url, { method: 'GET', headers: {}, signal: null });
    expect(JSON.parse(Buffer.from(answer.body()).toString())).toEqual({ path: '/v1/models', secure: true });
    // With the system's certificates only, a self-signed one is refused.
    const strict = leanConnections();
    closers.push(() => strict.close());
    await expect(leanRequest(strict, url, { method: 'GET', headers: {}, signal: null })).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });
});
