import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { leanFetch } from '../../../main/core/llm/lean-fetch';
import { OpenAiCompatibleProvider } from '../../../main/core/llm/openai-provider';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';

// The fetch behind answers read whole, against real servers: the fake OpenAI-compatible one, and
// plain node:http ones for what it never does (compress, redirect, hang).

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function fake(): Promise<FakeLlmServer> {
  const server = await startFakeLlmServer({ apiKey: 'k', responder: () => 'Good morning, Herr Neefe.' });
  closers.push(() => server.close());
  return server;
}

describe('leanFetch', () => {
  it('carries a job’s whole answers: the same request reaches the server and the same answer comes back', async () => {
    const server = await fake();
    const provider = new OpenAiCompatibleProvider({ baseURL: server.baseURL, model: 'fake-model', apiKey: 'k' });
    const result = await provider.complete(
      { messages: [{ role: 'user', content: 'Say good morning.' }], maxTokens: 50 },
      new AbortController().signal,
    );
    expect(result.text).toBe('Good morning, Herr Neefe.');
    // The server checks the key: the headers went out as given.
    expect(server.requests.at(-1)!.chat?.stream).toBeFalsy();
    // What Node's fetch answers for the same request, field by field.
    const init = {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'Say good morning.' }] }),
    };
    const [lean, node] = await Promise.all([
      leanFetch()(`${server.baseURL}/chat/completions`, init),
      fetch(`${server.baseURL}/chat/completions`, init),
    ]);
    expect(lean.status).toBe(node.status);
    expect(lean.headers.get('content-type')).toBe(node.headers.get('content-type'));
    const [a, b] = (await Promise.all([lean.json(), node.json()])) as { choices: unknown }[];
    expect(a!.choices).toEqual(b!.choices);
  });

  it('rejects an aborted request with an AbortError and closes its socket', async () => {
    let closed!: () => void;
    const socketClosed = new Promise<void>((resolve) => (closed = resolve));
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const url = await serve((req) => {
      req.socket.on('close', closed);
      arrived(); // and never answers
    });
    const controller = new AbortController();
    const pending = leanFetch()(url, { method: 'POST', body: '{}', signal: controller.signal });
    await requestArrived;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await socketClosed;
  });

  it('rejects a refused connection with Node’s code, inflates a compressed answer, follows a redirect', async () => {
    const refused = await serve(() => undefined);
    await closers.pop()!();
    await expect(leanFetch()(refused, { method: 'GET' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const url = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(307, { location: '/new' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(JSON.stringify({ at: req.url })));
    });
    const fetchLean = leanFetch();
    expect(await (await fetchLean(`${url}/new`, { method: 'GET' })).json()).toEqual({ at: '/new' });
    expect(await (await fetchLean(`${url}/old`, { method: 'POST', body: '{}' })).json()).toEqual({ at: '/new' });
  });
});
