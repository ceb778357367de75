import type { ReactNode } from 'react';
import type { CommandArg } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { queryClient, useCommand } from '../../lib/queries';
import { useUi } from '../../state/ui';

/**
 * One saved item of Settings (a provider, an SSH host): its name, what it is and where it points,
 * its badges, Test / Edit / Delete, then a test's refusal and what the test found (`children`).
 */
export function SavedCard({
  kind,
  name,
  summary,
  where,
  whereTitle,
  badges,
  test,
  testLabel,
  onTest,
  testBlocked = false,
  editing,
  onEdit,
  onDelete,
  children,
}: {
  /** "Provider", "Host": the card is named `${kind} ${name}` for assistive technology. */
  kind: string;
  name: string;
  summary: ReactNode;
  where: ReactNode;
  /** The whole of `where`, shown on hover where the line is cut short. */
  whereTitle: string;
  badges: ReactNode;
  /** The card's test command, as it runs: its button says so, and its refusal shows below. */
  test: { isPending: boolean; isError: boolean; error: unknown };
  testLabel: string;
  onTest: () => void;
  /** Another of the card's checks is running (the host's trust): Test waits for it. */
  testBlocked?: boolean;
  editing: boolean;
  onEdit: () => void;
  onDelete: () => void;
  children?: ReactNode;
}) {
  return (
    <li className={editing ? 'provider-card editing' : 'provider-card'} aria-label={`${kind} ${name}`}>
      <div className="provider-head">
        <div className="provider-title">
          <h4>{name}</h4>
          <span className="muted">{summary}</span>
          <span className="muted provider-where" title={whereTitle}>
            {where}
          </span>
        </div>
        <div className="provider-badges">{badges}</div>
        <div className="provider-actions">
          <button className="small" onClick={onTest} disabled={test.isPending || testBlocked}>
            {test.isPending ? 'Testing…' : testLabel}
          </button>
          <button className="small" onClick={onEdit} disabled={editing}>
            Edit
          </button>
          <button className="small danger" onClick={onDelete}>
            Delete
          </button>
        </div>
      </div>
      {test.isError && <p className="form-error">{messageOf(test.error)}</p>}
      {children}
    </li>
  );
}

type DeleteCommand = 'providers/delete' | 'hosts/delete';

/**
 * Deletes a saved provider or host once the person says yes to `question` (Cancel: nothing
 * happens); then says so in a toast and reads the list again. A refusal shows as an error toast.
 */
export function useDeleteAfterAsking<K extends DeleteCommand>(
  command: K,
  list: 'providers/list' | 'hosts/list',
): (arg: CommandArg<K>, name: string, question: string) => void {
  const toast = useUi((s) => s.toast);
  const remove = useCommand(command);
  return (arg, name, question) => {
    if (!window.confirm(question)) return;
    remove.mutate(arg, {
      onSuccess: () => {
        toast({ kind: 'info', text: `Deleted ${name}.` });
        void queryClient.invalidateQueries({ queryKey: [list] });
      },
    });
  };
}
