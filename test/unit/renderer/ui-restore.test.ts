// @vitest-environment jsdom
import { beforeEach, expect, it, vi } from 'vitest';
import type { CharacterId, ConversationId } from '../../../common/contract';

/** The ui store as a reload or a restart makes it: a fresh module reading what the last one stored. */
async function reloaded() {
  vi.resetModules();
  return (await import('../../../renderer/src/state/ui')).useUi;
}

beforeEach(() => localStorage.clear());

it('comes back to the tab and the conversation open before a reload', async () => {
  const beethoven = 'c-beethoven' as CharacterId;
  const mozart = 'c-mozart' as CharacterId;
  let ui = await reloaded();
  expect(ui.getState().characterTab).toBe('profile');
  ui.getState().openChat(beethoven, { kind: 'conversation', id: 'conv-1' as ConversationId });
  ui.getState().openChat(mozart, { kind: 'new' });

  ui = await reloaded();
  expect(ui.getState().characterTab).toBe('chat');
  expect(ui.getState().chatSelections).toEqual({
    [beethoven]: { kind: 'conversation', id: 'conv-1' },
    [mozart]: { kind: 'new' },
  });
  ui.getState().setCharacterTab('dataset');
  expect((await reloaded()).getState().characterTab).toBe('dataset');
});

it('starts on the Profile tab with nothing open when what was stored is unreadable', async () => {
  localStorage.setItem('character-studio:tab', 'nonsense');
  localStorage.setItem('character-studio:chat-selections', '{not json');
  const ui = await reloaded();
  expect(ui.getState().characterTab).toBe('profile');
  expect(ui.getState().chatSelections).toEqual({});
});
