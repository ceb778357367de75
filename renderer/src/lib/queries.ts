import { QueryClient, useMutation, useQuery, type UseQueryResult } from '@tanstack/react-query';
import type { CharacterId, CommandArg, CommandName, CommandResult } from '../../../common/contract';
import { useUi } from '../state/ui';
import { messageOf } from './bridge-error';
import { studio } from './studio';

/**
 * SQLite is the truth; the renderer keeps a query cache of it, invalidated by contract events.
 * Query keys are `[command, arg]`.
 */
export const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 30_000, retry: 1, refetchOnWindowFocus: false } },
});

export function invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>> {
  return studio().invoke(name, arg);
}

function useCommandQuery<K extends CommandName>(
  name: K,
  arg: CommandArg<K>,
  enabled = true,
): UseQueryResult<CommandResult<K>> {
  return useQuery({ queryKey: [name, arg], queryFn: () => invoke(name, arg), enabled });
}

export const useInfo = () => useCommandQuery('app/info', {});
export const useCharacters = () => useCommandQuery('characters/list', {});
export const useProfiles = (characterId: CharacterId | null) =>
  useCommandQuery('profiles/list', { characterId: characterId ?? ('' as CharacterId) }, characterId !== null);

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
  const offs = [
    studio().on('characters/changed', () => {
      void queryClient.invalidateQueries({ queryKey: ['characters/list'] });
    }),
    studio().on('profiles/changed', ({ characterId }) => {
      void queryClient.invalidateQueries({ queryKey: ['profiles/list', { characterId }] });
    }),
  ];
  return () => offs.forEach((off) => off());
}
