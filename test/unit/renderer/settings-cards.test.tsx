// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { HostsPanel } from '../../../renderer/src/components/settings/HostsPanel';
import { ProviderCard } from '../../../renderer/src/components/settings/ProviderCard';
import { queryClient } from '../../../renderer/src/lib/queries';
import { useUi } from '../../../renderer/src/state/ui';
import { settleIn } from '../../support/dom';
import { fakeProviderDraft } from '../../support/drafts';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { insertStoppingRun, UNREACHABLE_HOST } from '../../support/stopping-run';
import { call, createBeethoven, studioForEachTest, type makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// Settings' saved providers and hosts are one card (SavedCard): their names, badges, Test / Edit /
// Delete. Delete asks first naming what it deletes; No keeps it, yes deletes it and says so.

let env: ReturnType<typeof makeStudio>;
studioForEachTest((opened) => (env = opened));
const cleanups: (() => void)[] = [];
let asked: string[];
let answer: boolean;

beforeEach(() => {
  asked = [];
  answer = false;
  const confirm = window.confirm;
  window.confirm = (question?: string) => {
    asked.push(question ?? '');
    return answer;
  };
  cleanups.push(() => (window.confirm = confirm));
  const { disconnect } = connectRenderer(env.studio);
  cleanups.push(disconnect);
  useUi.setState({ toasts: [] });
});
afterEach(async () => {
  // Every query the cards started has answered before the studio closes behind them.
  await settleIn(document.body, () => queryClient.isFetching() === 0 && queryClient.isMutating() === 0, 'quiet');
  cleanups
    .splice(0)
    .reverse()
    .forEach((undo) => undo());
});

const button = (card: Element, name: string) =>
  [...card.querySelectorAll('button')].find((b) => b.textContent === name)!;
const click = (element: HTMLElement) => act(() => element.click());

it('a provider card shows what it points at, and deletes the provider only once asked and told yes', async () => {
  const provider = await call(env.studio, 'providers/create', {
    ...fakeProviderDraft('http://127.0.0.1:9/v1'),
    requestsPerMinute: 30,
  });
  const { container, unmount } = renderWithQueries(
    <ul>
      <ProviderCard provider={provider} editing={false} onEdit={() => {}} />
    </ul>,
  );
  cleanups.push(unmount);
  const card = container.querySelector('li[aria-label="Provider Fake"]')!;
  expect(card.querySelector('h4')!.textContent).toBe('Fake');
  expect(card.querySelector('.provider-where')!.textContent).toBe('http://127.0.0.1:9/v1');
  expect([...card.querySelectorAll('.badge')].map((b) => b.textContent)).toEqual([
    'key saved',
    'JSON schema',
    '4 at a time · 30/min',
  ]);
  expect(button(card, 'Test connection')).toBeDefined();

  click(button(card, 'Delete'));
  expect(asked).toEqual(['Delete the provider “Fake”? Jobs that used it keep their records.']);
  expect((await call(env.studio, 'providers/list', {})).map((p) => p.name)).toEqual(['Fake']);

  answer = true;
  click(button(card, 'Delete'));
  await settleIn(container, () => useUi.getState().toasts.length > 0, 'the toast');
  expect(useUi.getState().toasts.at(-1)).toMatchObject({ kind: 'info', text: 'Deleted Fake.' });
  expect(await call(env.studio, 'providers/list', {})).toEqual([]);
});

it('a host card shows where it trains, and leaves the list once deleted', async () => {
  await call(env.studio, 'hosts/save', {
    name: 'lab-gpu',
    host: 'gpu.example.org',
    port: 2222,
    username: 'ada',
    privateKeyPath: '',
    python: 'python3',
    remoteRoot: '~/character-studio',
    gpuCount: 2,
  });
  const { container, unmount } = renderWithQueries(<HostsPanel />);
  cleanups.push(unmount);
  const card = () => container.querySelector('li[aria-label="Host lab-gpu"]');
  await settleIn(container, () => card() !== null, 'the host card');
  expect(card()!.querySelector('.muted code')!.textContent).toBe('ada@gpu.example.org:2222');
  expect([...card()!.querySelectorAll('.badge')].map((b) => b.textContent)).toEqual(['SSH agent', '2 GPUs']);
  expect(button(card()!, 'Test')).toBeDefined();

  click(button(card()!, 'Delete'));
  expect(asked).toEqual(['Delete the host “lab-gpu”? Runs made there keep their records and downloaded files.']);
  expect(card()).not.toBeNull();

  answer = true;
  click(button(card()!, 'Delete'));
  await settleIn(container, () => card() === null, 'the list without the host');
  expect(useUi.getState().toasts.at(-1)).toMatchObject({ kind: 'info', text: 'Deleted lab-gpu.' });
  expect(await call(env.studio, 'hosts/list', {})).toEqual([]);
});

it('a host that a run still trains on asks again, naming the run, before a forced delete', async () => {
  const host = await call(env.studio, 'hosts/save', UNREACHABLE_HOST);
  const characterId = await createBeethoven(env.studio);
  const runId = insertStoppingRun(env.studio.db, {
    id: '01a00000-0000-7000-8000-00000000beef',
    characterId,
    target: host.id,
    baseModel: 'tiny',
    runDir: '/tmp/runs/beef',
    createdAt: 1,
  });
  const { container, unmount } = renderWithQueries(<HostsPanel />);
  cleanups.push(unmount);
  const card = () => container.querySelector('li[aria-label="Host lab-gpu"]');
  await settleIn(container, () => card() !== null, 'the host card');

  // Yes to deleting, no to deleting it anyway: the host stays.
  let answers = [true, false];
  window.confirm = (question?: string) => {
    asked.push(question ?? '');
    return answers.shift() ?? false;
  };
  click(button(card()!, 'Delete'));
  await settleIn(container, () => asked.length === 2, 'the second question');
  expect(asked[1]).toContain(`lab-gpu has a live training run: Beethoven (run ${runId}, stopping).`);
  expect(asked[1]).toMatch(/Delete “lab-gpu” anyway\?/);
  await settleIn(container, () => queryClient.isMutating() === 0, 'the refusal');
  expect(card()).not.toBeNull();
  expect(await call(env.studio, 'hosts/list', {})).toHaveLength(1);

  // Yes to both: deleted, forced.
  answers = [true, true];
  click(button(card()!, 'Delete'));
  await settleIn(container, () => card() === null, 'the list without the host');
  expect(useUi.getState().toasts.at(-1)).toMatchObject({ kind: 'info', text: 'Deleted lab-gpu.' });
  expect(await call(env.studio, 'hosts/list', {})).toEqual([]);
});
