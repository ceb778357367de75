import { useState } from 'react';
import type { ConnectionCheck, Provider } from '../../../../common/contract';
import { CheckResult } from './CheckResult';
import { messageOf } from '../../lib/bridge-error';
import { queryClient, useCommand, usePresets } from '../../lib/queries';
import { useUi } from '../../state/ui';

/** One saved provider: what it points at, a connection test with its steps, edit and delete. */
export function ProviderCard({
  provider,
  editing,
  onEdit,
}: {
  provider: Provider;
  editing: boolean;
  onEdit: () => void;
}) {
  const toast = useUi((s) => s.toast);
  const presets = usePresets();
  const test = useCommand('providers/test');
  const update = useCommand('providers/update');
  const remove = useCommand('providers/delete');
  const [check, setCheck] = useState<ConnectionCheck | null>(null);
  const preset = presets.data?.find((p) => p.id === provider.preset);
  const where = provider.kind === 'embedded' ? provider.modelPath : provider.baseUrl;

  const runTest = () => {
    setCheck(null);
    test.mutate({ id: provider.id }, { onSuccess: setCheck });
  };

  const useModel = (model: string) => {
    update.mutate(
      { id: provider.id, model },
      {
        onSuccess: () => {
          void queryClient.invalidateQueries({ queryKey: ['providers/list'] });
        },
      },
    );
  };

  const onDelete = () => {
    if (!window.confirm(`Delete the provider “${provider.name}”? Jobs that used it keep their records.`)) return;
    remove.mutate(
      { id: provider.id },
      {
        onSuccess: () => {
          toast({ kind: 'info', text: `Deleted ${provider.name}.` });
          void queryClient.invalidateQueries({ queryKey: ['providers/list'] });
        },
      },
    );
  };

  return (
    <li className={editing ? 'provider-card editing' : 'provider-card'} aria-label={`Provider ${provider.name}`}>
      <div className="provider-head">
        <div className="provider-title">
          <h4>{provider.name}</h4>
          <span className="muted">
            {preset?.label ?? provider.preset} · <code>{provider.model || 'no model'}</code>
          </span>
          <span className="muted provider-where" title={where}>
            {where}
          </span>
        </div>
        <div className="provider-badges">
          {provider.hasApiKey && <span className="badge ok">key saved</span>}
          {provider.structuredOutput && <span className="badge">JSON schema</span>}
          <span className="badge">
            {provider.maxConcurrency} at a time
            {provider.requestsPerMinute > 0 ? ` · ${provider.requestsPerMinute}/min` : ''}
          </span>
        </div>
        <div className="provider-actions">
          <button className="small" onClick={runTest} disabled={test.isPending}>
            {test.isPending ? 'Testing…' : 'Test connection'}
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
      {check && <CheckResult check={check} current={provider.model} onPick={useModel} busy={update.isPending} />}
    </li>
  );
}
