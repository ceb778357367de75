import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clause } from '../../../common/sentence';
import { toStudioError } from '../../../main/core/errors';
import { LlmGateway } from '../../../main/core/llm/gateway';
import { OpenAiCompatibleProvider } from '../../../main/core/llm/openai-provider';
import { call, callError, makeStudio } from '../../support/studio';

/**
 * Error messages read as written sentences (issue #8, point 11): real failures from each layer that
 * wraps another message, scanned for a doubled full stop, a stop before a parenthesis, a repeated
 * "Error:" and a sentence said twice.
 */

let env: ReturnType<typeof makeStudio>;
beforeEach(() => {
  env = makeStudio();
});
afterEach(() => env.cleanup());

/** A port on this machine with nothing listening: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function problems(message: string): string[] {
  const found: string[] = [];
  if (/(?<!\.)\.\.(?!\.)/.test(message)) found.push('a doubled full stop');
  if (/\.\s+\(/.test(message)) found.push('a full stop before a parenthesis');
  if (/error:\s*error\b/i.test(message)) found.push('"Error" said twice');
  const sentences = message
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 12);
  const seen = new Set<string>();
  for (const s of sentences) {
    if (seen.has(s)) found.push(`"${s}" said twice`);
    seen.add(s);
  }
  return found;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a failure');
}

describe('messages that wrap other messages', () => {
  it('ends a wrapped message with one stop and keeps an ellipsis', () => {
    expect(clause('Connection error.')).toBe('Connection error');
    expect(clause('  spaced out . ')).toBe('spaced out');
    expect(clause('Loading...')).toBe('Loading...');
    expect(clause('Is it on?')).toBe('Is it on?');
  });

  it('reads cleanly for an unreachable server, a retried call, an internal error and a bad argument', async () => {
    const baseURL = `http://127.0.0.1:${await closedPort()}/v1`;
    // A closed port: the connection is refused, and the provider says so with the URL it tried.
    const provider = new OpenAiCompatibleProvider({ baseURL, model: 'm' });
    const ask = { messages: [{ role: 'user' as const, content: 'Hello' }] };
    const gateway = new LlmGateway(provider, { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 });

    const check = await call(env.studio, 'providers/test', {
      draft: {
        name: 'Down',
        preset: 'custom',
        baseUrl: baseURL,
        model: 'm',
        modelPath: '',
        maxConcurrency: 1,
        requestsPerMinute: 0,
        timeoutMs: 5000,
        structuredOutput: false,
      },
    });
    const messages = {
      unreachable: await failure(provider.complete(ask, new AbortController().signal)),
      retried: await failure(gateway.complete(ask)),
      internal: toStudioError(new Error('disk I/O error.')).message,
      internalThrownString: toStudioError('database is locked.').message,
      badArgument: (await callError(env.studio, 'characters/create', { fullName: 3 })).message,
      connectionCheck: check.summary,
    };
    expect(messages.unreachable).toContain(`Nothing is listening at ${baseURL} (connection refused).`);
    expect(messages.retried).toContain('gave up after 2 attempts');
    for (const [what, message] of Object.entries(messages)) {
      expect({ what, message, problems: problems(message) }).toEqual({ what, message, problems: [] });
    }
  });
});
