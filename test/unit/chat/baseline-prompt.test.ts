import { describe, expect, it } from 'vitest';
import type { ConversationMessage } from '../../../common/contract';
import { runtimeMessages } from '../../../main/core/chat/scene-bridge';
import { call } from '../../support/studio';
import { chatBench } from './chat-fixture';

/**
 * A baseline (a model not trained on the character) is told whom it plays, as the interviews'
 * prompted baselines are; a trained run reads the scene header it was trained on and nothing more.
 */
const bench = chatBench();

const INTRO = 'Ludwig van Beethoven was a German composer and pianist, born in Bonn.';

describe('the system message a baseline receives', () => {
  it('names the character and gives the profile intro before the scene', async () => {
    await call(bench.studio, 'profiles/import', { characterId: bench.characterId, text: `# Beethoven\n\n${INTRO}` });
    const { conversation } = await bench.open();
    await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Who are you?' });
    const system = bench.server.requests.find((r) => r.chat)!.chat!.messages[0]!;
    expect(system.role).toBe('system');
    expect(system.content).toMatch(/^You are Ludwig van Beethoven \(1770–1827\), not an AI assistant\. Stay Beethoven/);
    expect(system.content).toContain(`What you know about yourself: ${INTRO}`);
    expect(system.content).toMatch(
      /\n\nLocation: Vienna, a winter evening in 1809\nStatus: The city is under French guns\.$/,
    );
  });

  it('leaves out the scene lines that are empty, and the intro when there is no profile', async () => {
    const { conversation } = await call(bench.studio, 'chat/create', {
      characterId: bench.characterId,
      target: { kind: 'baseline', providerId: bench.providerId, model: 'fake-model' },
      runtime: 'endpoint',
      setting: { location: '', status: 'A rainy afternoon.' },
    });
    await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Hello' });
    const system = bench.server.requests.find((r) => r.chat)!.chat!.messages[0]!.content;
    expect(system).toMatch(/^You are Ludwig van Beethoven/);
    expect(system).not.toContain('Location:');
    expect(system).not.toContain('What you know about yourself');
    expect(system).toMatch(/\n\nStatus: A rainy afternoon\.$/);
  });
});

describe('the system message a trained run receives', () => {
  it('is the scene header alone, as in training, even when the scene is empty', () => {
    const line = { role: 'user', text: 'Hello', speaker: 'Man', reasoning: null } as ConversationMessage;
    expect(runtimeMessages({ location: '', status: '' }, [line])).toEqual([
      { role: 'system', content: 'Location: \nStatus: ' },
      { role: 'user', content: 'Hello', name: 'Man' },
    ]);
    expect(runtimeMessages({ location: 'Bonn', status: 'A visit.' }, [])[0]!.content).toBe(
      'Location: Bonn\nStatus: A visit.',
    );
  });
});
