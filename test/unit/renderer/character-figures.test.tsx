// @vitest-environment jsdom
import { afterEach, expect, it } from 'vitest';
import { App } from '../../../renderer/src/components/App';
import { useUi } from '../../../renderer/src/state/ui';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { writeDialogues } from '../../support/paper-dialogues';
import { call, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

it('shows an imported character by its scenes in the sidebar and header, not "0 profiles · 0 chunks", and follows deletes', async () => {
  const { disconnect } = connectRenderer(env.studio);
  const { id } = await call(env.studio, 'characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '1770–1827',
    notes: '',
  });
  await call(env.studio, 'dataset/import', { characterId: id, path: writeDialogues(env.dir, 3) });
  useUi.getState().select(id);

  const { container, unmount } = renderWithQueries(<App />);
  const sidebar = () => container.querySelector('.character-item .sub')?.textContent ?? '';
  const header = () => container.querySelector('[data-testid="character-figures"]')?.textContent ?? '';
  await settleIn(container, () => header() !== '', 'the character header');
  expect(sidebar()).toBe('1770–1827 · 3 scenes');
  expect(header()).toBe('3 scenes · no profile yet');
  expect(container.textContent).not.toContain('0 profiles');

  // A scene deleted elsewhere (the CLI, another window): the counts follow the dataset's event.
  const page = await call(env.studio, 'scenes/list', { characterId: id, limit: 10 });
  await call(env.studio, 'scenes/delete', { characterId: id, ids: [page.scenes[0]!.id] });
  await settleIn(container, () => sidebar() === '1770–1827 · 2 scenes', 'the sidebar after a delete');
  expect(header()).toBe('2 scenes · no profile yet');

  // A profile added: the header leads with it, the scenes still said.
  await call(env.studio, 'profiles/import', {
    characterId: id,
    title: 'Letters',
    text: 'Dear brother.\n\nI am going deaf.',
  });
  await settleIn(container, () => header().startsWith('2 chunks'), 'the header after a profile');
  expect(header()).toBe('2 chunks · 6 words · 2 scenes');
  // A second profile is counted.
  await call(env.studio, 'profiles/import', { characterId: id, title: 'Diary', text: 'Rain again.' });
  await settleIn(container, () => header().startsWith('2 profiles'), 'the header after a second profile');
  expect(header()).toBe('2 profiles · 3 chunks · 8 words · 2 scenes');
  unmount();
  disconnect();
});
