import { beforeEach } from 'vitest';
import type { CharacterId, ConversationView, ProviderId } from '../../../common/contract';
import type { Studio } from '../../../main/core/studio';
import { startFakeLlmServer, type FakeLlmServer, type FakeLlmServerOptions } from '../../support/fake-llm-server';
import { addFakeProvider, call, createBeethoven, studioForEachTest, type makeStudio } from '../../support/studio';

/**
 * A fresh studio per test with Beethoven and the fake LLM server as a provider: a baseline to chat
 * with through the endpoint runtime. The server answers `Echo: <last user message>` unless the
 * test sets a responder; each test gets its own server.
 */
export interface ChatBench {
  env: ReturnType<typeof makeStudio>;
  studio: Studio;
  server: FakeLlmServer;
  characterId: CharacterId;
  providerId: ProviderId;
  /** A new conversation with the baseline, in Vienna. */
  open(title?: string): Promise<ConversationView>;
}

export function chatBench(options: FakeLlmServerOptions = {}): ChatBench {
  const bench = {} as ChatBench;
  studioForEachTest(
    (env) => {
      bench.env = env;
      bench.studio = env.studio;
    },
    () => bench.server?.close(),
  );
  beforeEach(async () => {
    bench.server = await startFakeLlmServer(options);
    bench.characterId = await createBeethoven(bench.studio);
    bench.providerId = await addFakeProvider(bench.studio, bench.server.baseURL);
  });
  bench.open = (title) =>
    call(bench.studio, 'chat/create', {
      characterId: bench.characterId,
      target: { kind: 'baseline', providerId: bench.providerId, model: 'fake-model' },
      runtime: 'endpoint',
      setting: { location: 'Vienna, a winter evening in 1809', status: 'The city is under French guns.' },
      ...(title !== undefined && { title }),
    });
  return bench;
}
