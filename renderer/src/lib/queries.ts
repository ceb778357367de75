import { useEffect } from 'react';
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, type UseQueryResult } from '@tanstack/react-query';
import type {
  CallId,
  Character,
  CharacterId,
  CommandArg,
  CommandName,
  CommandResult,
  ConversationId,
  EventName,
  Events,
  GenerationSettings,
  Job,
  SceneFilter,
  SceneId,
  SceneSort,
  TrainingConfig,
  TrainingRun,
} from '../../../common/contract';
import { useUi } from '../state/ui';
import { useReplyStreams } from '../state/reply-streams';
import { messageOf } from './bridge-error';
import { refreshScenePages } from './scene-pages';
import { studio } from './studio';
import { EventQueryClient } from './event-query-client';

/**
 * SQLite is the truth; the renderer keeps a query cache of it, invalidated by contract events.
 * Query keys are `[command, arg]`.
 */
export const queryClient = new EventQueryClient({
  defaultOptions: { queries: { staleTime: 30_000, retry: 1, refetchOnWindowFocus: false } },
});

export function invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>> {
  return studio().invoke(name, arg);
}

function useCommandQuery<K extends CommandName>(
  name: K,
  arg: CommandArg<K>,
  enabled = true,
  refetchOnWindowFocus: boolean | 'always' = false,
): UseQueryResult<CommandResult<K>> {
  return useQuery({ queryKey: [name, arg], queryFn: () => invoke(name, arg), enabled, refetchOnWindowFocus });
}

export const useInfo = () => useCommandQuery('app/info', {});
/** The theme choice (lib/theme.ts applies it); kept current by `appearance/changed`. */
export const useAppearance = () => useCommandQuery('appearance/get', {});
export const useSamples = () => useCommandQuery('samples/list', {});
/** Settings › Models; `check` asks whether downloads can reach their server (a few seconds at most). */
export const useModels = () => useCommandQuery('models/list', { check: true });
// Characters and profiles are read again when the window comes back to the front: what a terminal's
// `characters update` or `profiles import` changed meanwhile sends this window no event (another
// process wrote it), and both lists are small.
export const useCharacters = () => useCommandQuery('characters/list', {}, true, 'always');
export const useProfiles = (characterId: CharacterId | null) =>
  useCommandQuery('profiles/list', { characterId: characterId ?? ('' as CharacterId) }, characterId !== null, 'always');

/** A character's picture (a card's icon); asked only for characters that have one. */
export const useCharacterImage = (id: CharacterId, hasImage: boolean) =>
  useCommandQuery('characters/image', { id }, hasImage);

export const usePresets = () => useCommandQuery('providers/presets', {});
export const useProviders = () => useCommandQuery('providers/list', {});
export const usePrices = () => useCommandQuery('prices/list', {});
/** SSH hosts for remote training (Settings → Hosts; the Train tab's target choice). */
export const useHosts = () => useCommandQuery('hosts/list', {});
export const useLimits = (characterId: CharacterId) => useCommandQuery('limits/list', { characterId });
export const usePrompts = (characterId: CharacterId) => useCommandQuery('prompts/list', { characterId });
export const useGenerationDefaults = (characterId: CharacterId) =>
  useCommandQuery('generation/defaults', { characterId });
export const useJobs = (characterId: CharacterId) => useCommandQuery('jobs/list', { characterId });
export const useGenerationPreferences = () => useCommandQuery('generation/preferences', {});
export const useDatasetStats = (characterId: CharacterId) => useCommandQuery('dataset/stats', { characterId });
/** The Statistics view's figures; refetched with the dataset (see `invalidateDatasetCharts`). */
export const useDatasetCharts = (characterId: CharacterId) => useCommandQuery('dataset/charts', { characterId });
export const useDatasetCompare = () => useCommandQuery('dataset/compare', {});

/** The charts of one character and the table of every character: both move with its dataset and profile. */
export function invalidateDatasetCharts(characterId: CharacterId): void {
  void queryClient.invalidateQueries({ queryKey: ['dataset/charts', { characterId }] });
  void queryClient.invalidateQueries({ queryKey: ['dataset/compare'] });
}
/** Counts per review status, rating and tag under `filter` (see `ReviewCounts`). */
export const useReviewCounts = (characterId: CharacterId, filter: SceneFilter) =>
  useQuery({
    queryKey: ['review/counts', { characterId, filter }],
    queryFn: () => invoke('review/counts', { characterId, filter }),
    placeholderData: keepPreviousData,
  });
export const useLastReview = (characterId: CharacterId) => useCommandQuery('review/last', { characterId });
export const useCalls = (id: CallId | null) => useCommandQuery('calls/get', { id: id ?? ('' as CallId) }, id !== null);

/** Rows the browser asks for at a time, as the reader scrolls towards the end of what it has. */
export const SCENE_PAGE = 100;

/**
 * The Dataset tab's list: keyset pages of `scenes/list`, the next one fetched on demand
 * (`fetchNextPage`). The rows of the previous filter stay on screen while a new filter loads.
 */
export function useSceneList(characterId: CharacterId, filter: SceneFilter, sort: SceneSort) {
  return useInfiniteQuery({
    queryKey: ['scenes/list', { characterId, filter, sort }],
    queryFn: ({ pageParam }) =>
      invoke('scenes/list', {
        characterId,
        limit: SCENE_PAGE,
        sort,
        ...filter,
        ...(pageParam !== null && { after: pageParam }),
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next,
    placeholderData: keepPreviousData,
  });
}

/** The browser's filter counts beyond review (kind, speakers, chunks…), under `filter`. */
export const useSceneFacets = (characterId: CharacterId, filter: SceneFilter) =>
  useQuery({
    queryKey: ['scenes/facets', { characterId, filter }],
    queryFn: () => invoke('scenes/facets', { characterId, filter }),
    placeholderData: keepPreviousData,
  });

/** The estimate for settings the caller has already debounced; null settings disable it. */
/** `more`: the estimate of adding that many scenes to what the character has. */
export function useEstimate(characterId: CharacterId, settings: GenerationSettings | null, more?: number) {
  return useQuery({
    queryKey: ['generation/estimate', { characterId, settings, more }],
    queryFn: () =>
      settings
        ? invoke('generation/estimate', { characterId, settings, ...(more !== undefined && { more }) })
        : Promise.reject(new Error('no settings')),
    enabled: settings !== null,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

export const useTrainingOptions = () =>
  useQuery({ queryKey: ['training/options', {}], queryFn: () => invoke('training/options', {}), staleTime: Infinity });
export const useTrainingRuns = (characterId: CharacterId) => useCommandQuery('training/list', { characterId });
/** What the Chat tab can talk to: the character's runs with their runtimes, and baselines. */
export const useChatTargets = (characterId: CharacterId) => useCommandQuery('chat/targets', { characterId });
/** The character's conversations, or those matching `query` (full-text). */
export function useConversations(characterId: CharacterId, query: string) {
  return useQuery({
    queryKey: ['chat/list', { characterId, query }],
    queryFn: () => invoke('chat/list', { characterId, ...(query.trim() !== '' && { query }) }),
    placeholderData: keepPreviousData,
  });
}
export const useConversation = (id: ConversationId) => useCommandQuery('chat/get', { id });

/** The runs this studio serves now, of every character; refetched when a run's serving changes. */
export const useServedRuns = () => useCommandQuery('training/served', {});

/** Whether a base model can be trained on the target; a problem says what is wrong and what to do. */
export function useBaseModelCheck(baseModel: string, target: TrainingConfig['target'] | null) {
  return useQuery({
    queryKey: ['training/check-model', { baseModel, target }],
    queryFn: () => invoke('training/check-model', { baseModel, target: target ?? 'local' }),
    enabled: target !== null && baseModel.trim() !== '',
    placeholderData: keepPreviousData,
    staleTime: 5_000,
    retry: false,
  });
}

/**
 * The estimate for a config the caller has already debounced; null disables it. `environmentAt`: when the environment check last answered (0: never). Main times the run with the
 * GPUs that check saw, so a new answer asks for a new estimate.
 */
export function useTrainingEstimate(characterId: CharacterId, config: TrainingConfig | null, environmentAt = 0) {
  return useQuery({
    queryKey: ['training/estimate', { characterId, config, environmentAt }],
    queryFn: () =>
      config ? invoke('training/estimate', { characterId, config }) : Promise.reject(new Error('no config')),
    enabled: config !== null,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

/**
 * The environment check for one interpreter, run only when asked (`refetch`): it starts Python
 * and imports torch, which takes seconds. The answer stays cached for that interpreter.
 */
export function useTrainerDoctor(python: string) {
  return useQuery({
    queryKey: ['training/doctor', { python }],
    queryFn: () => invoke('training/doctor', { python }),
    enabled: false,
    staleTime: Infinity,
    retry: false,
  });
}

/**
 * Puts a character main has just created or changed into the cached list, in the list's order
 * (full name, case-insensitive), so a selection of it holds before the refetch answers.
 */
export function storeCharacter(character: Character): void {
  queryClient.setQueryData<Character[]>(['characters/list', {}], (list) => {
    if (!list) return list;
    const others = list.filter((c) => c.id !== character.id);
    return [...others, character].sort((a, b) =>
      a.fullName.localeCompare(b.fullName, undefined, { sensitivity: 'accent' }),
    );
  });
}

/**
 * Puts a run, from an event or a command's reply, into the cached list and item. What a change of
 * its status or server moves is refetched then, whichever of the reply and the event comes first.
 */
export function storeRun(run: TrainingRun): void {
  const cached = queryClient.getQueryData<TrainingRun>(['training/get', { id: run.id }]);
  storeNewest(['training/get', { id: run.id }], ['training/list', { characterId: run.characterId }], run);
  // A run that finishes (or fails) changes what the Chat tab can talk to.
  if (cached?.status !== run.status)
    void queryClient.invalidateQueries({ queryKey: ['chat/targets', { characterId: run.characterId }] });
  // Progress comes a few times a second; the served list changes only when a server does.
  if (JSON.stringify(cached?.serving ?? null) !== JSON.stringify(run.serving ?? null))
    void queryClient.invalidateQueries({ queryKey: ['training/served'] });
}

/**
 * Puts a job, from an event or a command's reply, into the cache. A job whose status moves (a run
 * that starts, pauses or ends) changes the figures, cost and form values others read: they are
 * refetched then, whichever comes first of the reply and the event (the reply to Start used to
 * store the new status, so its event saw no change and the form fell back to stale values).
 */
export function storeJob(job: Job): void {
  const before = queryClient.getQueryData<Job>(['jobs/get', { id: job.id }])?.status;
  storeNewest(['jobs/get', { id: job.id }], ['jobs/list', { characterId: job.characterId }], job);
  if (before === job.status) return;
  void queryClient.invalidateQueries({ queryKey: ['dataset/stats'] });
  invalidateDatasetCharts(job.characterId);
  // What is left to do, and the values the form opens with (the last run's settings).
  void queryClient.invalidateQueries({ queryKey: ['generation/estimate', { characterId: job.characterId }] });
  void queryClient.invalidateQueries({ queryKey: ['generation/defaults', { characterId: job.characterId }] });
}

/**
 * Puts `item`, as main reported it (an event or a command's reply), into its cached entry and its
 * cached list (newest first when new). Events are throttled and may cross a command's reply: an older
 * version never replaces a newer one (`updatedAt`, ms). A read still in flight for either key may
 * have been answered before this version was written; when it lands it would put the older one back
 * (and with no later event, for good: a run that finished would show running). So the item is put
 * again over what such a read brings, the newer one winning. Reads are never cancelled: with events a
 * few a second, a read restarted at each could never land on a slow machine.
 */
function storeNewest<T extends { id: string; updatedAt: number }>(
  itemKey: readonly unknown[],
  listKey: readonly unknown[],
  item: T,
): void {
  const intoItem = (cached: T | undefined): T => (cached && cached.updatedAt > item.updatedAt ? cached : item);
  const intoList = (list: T[] | undefined): T[] | undefined => {
    if (!list) return list;
    const at = list.findIndex((entry) => entry.id === item.id);
    if (at === -1) return [item, ...list];
    if ((list[at]?.updatedAt ?? 0) > item.updatedAt) return list;
    return list.map((entry) => (entry.id === item.id ? item : entry));
  };
  queryClient.setQueryData<T>(itemKey, intoItem);
  queryClient.setQueryData<T[]>(listKey, intoList);
  afterReadInFlight(itemKey, () => queryClient.setQueryData<T>(itemKey, intoItem));
  afterReadInFlight(listKey, () => queryClient.setQueryData<T[]>(listKey, intoList));
}

/** Runs `then` once the read of `queryKey` in flight now has landed (or failed); nothing if none is. */
function afterReadInFlight(queryKey: readonly unknown[], then: () => void): void {
  const cache = queryClient.getQueryCache();
  const query = cache.find({ queryKey, exact: true });
  if (query?.state.fetchStatus !== 'fetching') return;
  const stop = cache.subscribe((event) => {
    // A write of ours (setQueryData) keeps the read fetching; its answer, error or cancel ends it.
    if (event.query !== query || query.state.fetchStatus === 'fetching') return;
    stop();
    then();
  });
}

/** A command run from a control: failures become a toast unless the caller handles them. */
export function useCommand<K extends CommandName>(name: K, options: { quiet?: boolean } = {}) {
  const toast = useUi((state) => state.toast);
  return useMutation({
    mutationFn: (arg: CommandArg<K>) => invoke(name, arg),
    onError: (error) => {
      if (!options.quiet) toast({ kind: 'error', text: messageOf(error) });
    },
  });
}

/** Keeps the cache in step with the store, whichever door or window changed it. */
export function subscribeToStudioEvents(): () => void {
  const viewAskedAt = new Map<ConversationId, number>();
  const offs = [
    // A stream that (re)opened may have missed events: everything on screen is read again.
    studio().onConnected?.(() => void queryClient.invalidateQueries()) ?? (() => {}),
    studio().on('models/changed', () => {
      void queryClient.invalidateQueries({ queryKey: ['models/list'] });
    }),
    studio().on('appearance/changed', (appearance) => {
      queryClient.setQueryData(['appearance/get', {}], appearance);
    }),
    studio().on('characters/changed', ({ characterId }) => {
      void queryClient.invalidateQueries({ queryKey: ['characters/list'] });
      void queryClient.invalidateQueries({
        queryKey: ['characters/image', ...(characterId ? [{ id: characterId }] : [])],
      });
      // A sample shows whether it is loaded.
      void queryClient.invalidateQueries({ queryKey: ['samples/list'] });
      void queryClient.invalidateQueries({ queryKey: ['dataset/compare'] });
    }),
    studio().on('profiles/changed', ({ characterId }) => {
      void queryClient.invalidateQueries({ queryKey: ['profiles/list', { characterId }] });
      invalidateDatasetCharts(characterId);
      void queryClient.invalidateQueries({ queryKey: ['generation/estimate', { characterId }] });
      void queryClient.invalidateQueries({ queryKey: ['generation/defaults', { characterId }] });
    }),
    studio().on('providers/changed', () => {
      void queryClient.invalidateQueries({ queryKey: ['providers/list'] });
      // Providers are the Chat tab's baselines.
      void queryClient.invalidateQueries({ queryKey: ['chat/targets'] });
      void queryClient.invalidateQueries({ queryKey: ['generation/estimate'] });
    }),
    studio().on('hosts/changed', () => {
      void queryClient.invalidateQueries({ queryKey: ['hosts/list'] });
      // A run on a host is estimated with its GPU count.
      void queryClient.invalidateQueries({ queryKey: ['training/estimate'] });
    }),
    studio().on('limits/changed', ({ characterId }) => {
      void queryClient.invalidateQueries({ queryKey: ['limits/list', { characterId }] });
      void queryClient.invalidateQueries({ queryKey: ['generation/estimate', { characterId }] });
    }),
    studio().on('jobs/progressed', storeJob),
    studio().on('dataset/changed', ({ characterId, sceneIds }) => invalidateDatasetSoon(characterId, sceneIds)),
    studio().on('training/progressed', storeRun),
    studio().on('chat/delta', (delta) => {
      if (!useReplyStreams.getState().delta(delta)) return;
      // Opened mid-reply with a view older than this piece: fetch it again, at most once a second.
      const now = Date.now();
      if (now - (viewAskedAt.get(delta.conversationId) ?? 0) < 1000) return;
      viewAskedAt.set(delta.conversationId, now);
      void queryClient.invalidateQueries({ queryKey: ['chat/get', { id: delta.conversationId }] });
    }),
    studio().on('chat/status', (status) => useReplyStreams.getState().status(status)),
    studio().on('chat/changed', ({ characterId, conversationId }) => {
      void queryClient.invalidateQueries({ queryKey: ['chat/list', { characterId }] });
      void queryClient.invalidateQueries({ queryKey: ['chat/get', { id: conversationId }] });
    }),
  ];
  return () => {
    offs.forEach((off) => off());
    // A refresh an event scheduled is part of listening: none runs after it stops.
    pendingDataset.forEach((timer) => clearTimeout(timer));
    pendingDataset.clear();
    pendingScenes.clear();
  };
}

/**
 * Scenes arrive one by one while a job runs; refetch what shows them at most every 750 ms per
 * character rather than at every item. The scenes the events of that window named (null: one
 * named none, so anything may have changed) decide how much of the lists and readers is read again.
 */
const pendingDataset = new Map<CharacterId, ReturnType<typeof setTimeout>>();
const pendingScenes = new Map<CharacterId, Set<SceneId> | null>();
function invalidateDatasetSoon(characterId: CharacterId, sceneIds?: readonly SceneId[]): void {
  const named = pendingScenes.get(characterId);
  if (!pendingDataset.has(characterId)) pendingScenes.set(characterId, sceneIds ? new Set(sceneIds) : null);
  else if (named && sceneIds) sceneIds.forEach((id) => named.add(id));
  else pendingScenes.set(characterId, null);
  if (pendingDataset.has(characterId)) return;
  pendingDataset.set(
    characterId,
    setTimeout(() => {
      pendingDataset.delete(characterId);
      const ids = pendingScenes.get(characterId);
      pendingScenes.delete(characterId);
      refreshDataset(characterId, ids ? [...ids] : undefined);
    }, 750),
  );
}

/**
 * Refetches at once everything that shows a character's scenes: lists, open readers, counts, facets,
 * charts, the last review action and the estimate. With the scenes that changed named, a list reads
 * again only the pages holding them; without, every list and reader of the character.
 */
export function refreshDataset(characterId: CharacterId, changed?: readonly SceneId[]): void {
  if (changed) {
    void refreshScenePages(queryClient, characterId, changed, (arg) => invoke('scenes/list', arg), SCENE_PAGE);
    for (const id of changed) void queryClient.invalidateQueries({ queryKey: ['scenes/get', { id }] });
  } else {
    void queryClient.invalidateQueries({ queryKey: ['scenes/list', { characterId }] });
    void queryClient.invalidateQueries({ queryKey: ['scenes/get'] });
  }
  void queryClient.invalidateQueries({ queryKey: ['dataset/stats', { characterId }] });
  invalidateDatasetCharts(characterId);
  void queryClient.invalidateQueries({ queryKey: ['review/counts', { characterId }] });
  void queryClient.invalidateQueries({ queryKey: ['scenes/facets', { characterId }] });
  void queryClient.invalidateQueries({ queryKey: ['review/last', { characterId }] });
  void queryClient.invalidateQueries({ queryKey: ['training/estimate', { characterId }] });
  // The sidebar and header show each character's scene count.
  void queryClient.invalidateQueries({ queryKey: ['characters/list'] });
}

/** Subscribes a component to one contract event for as long as it is mounted. */
export function useStudioEvent<E extends EventName>(name: E, listener: (payload: Events[E]) => void): void {
  useEffect(() => studio().on(name, listener), [name, listener]);
}
