import { useState } from 'react';
import type { CommandArg, CommandName, CommandResult } from '../../../common/contract';
import { messageOf } from '../lib/bridge-error';
import { useCommand } from '../lib/queries';
import { useUi } from '../state/ui';

/**
 * A dialog's command: `run(arg, done)` calls it; on success `done` says what happened (a toast) and the
 * dialog closes, on failure the dialog stays open with `error` (its footer shows it).
 */
export function useDialogCommand<K extends CommandName>(name: K) {
  const close = useUi((s) => s.close);
  const toast = useUi((s) => s.toast);
  const [error, setError] = useState<string | null>(null);
  const command = useCommand(name, { quiet: true });
  const run = async (
    arg: CommandArg<K> | (() => Promise<CommandArg<K>>),
    done: (result: CommandResult<K>) => string,
  ) => {
    setError(null);
    try {
      const result = await command.mutateAsync(typeof arg === 'function' ? await arg() : arg);
      toast({ kind: 'info', text: done(result) });
      close();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return { run, error, setError, pending: command.isPending, close };
}
