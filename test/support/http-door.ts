import http from 'node:http';

/** One command sent through the web door: its HTTP status, parsed body and wall time. */
export interface DoorReply {
  status: number;
  body: { result?: unknown; error?: { code: string; message: string } };
  ms: number;
}

export type DoorInvoke = (name: string, arg: unknown) => Promise<DoorReply>;

/**
 * A client of `serve`'s command route (`POST /api/invoke/<name>` with the bearer token), kept alive
 * across calls the way the renderer's fetches are.
 */
export function doorClient(origin: string, token: string): { invoke: DoorInvoke; close: () => void } {
  const url = new URL(origin);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const invoke: DoorInvoke = (name, arg) => {
    const body = Buffer.from(JSON.stringify(arg));
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: `/api/invoke/${name}`,
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': body.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: DoorReply['body'];
            try {
              parsed = JSON.parse(text) as DoorReply['body'];
            } catch {
              parsed = { error: { code: 'not_json', message: text.slice(0, 200) } };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - started });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
  return { invoke, close: () => agent.destroy() };
}
