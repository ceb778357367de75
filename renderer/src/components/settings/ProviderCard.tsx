import { useState } from 'react';
import type { ConnectionCheck, Provider } from '../../../../common/contract';
import { CheckResult } from './CheckResult';
import { queryClient, useCommand, usePresets } from '../../lib/queries';
import { SavedCard, useDeleteAfterAsking } from './SavedCard';

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
  const presets = usePresets();
  const test = useCommand('providers/test');
  const update = useCommand('providers/update');
  const remove = useDeleteAfterAsking('providers/delete', 'providers/list');
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

  return (
    <SavedCard
      kind="Provider"
      name={provider.name}
      summary={
        <>
          {preset?.label ?? provider.preset} · <code>{provider.model || 'no model'}</code>
        </>
      }
      where={where}
      whereTitle={where}
      badges={
        <>
          {provider.hasApiKey && <span className="badge ok">key saved</span>}
          {provider.structuredOutput && <span className="badge">JSON schema</span>}
          <span className="badge">
            {provider.maxConcurrency} at a time
            {provider.requestsPerMinute > 0 ? ` · ${provider.requestsPerMinute}/min` : ''}
          </span>
        </>
      }
      test={test}
      testLabel="Test connection"
      onTest={runTest}
      editing={editing}
      onEdit={onEdit}
      onDelete={() =>
        remove(
          { id: provider.id },
          provider.name,
          `Delete the provider “${provider.name}”? Jobs that used it keep their records.`,
        )
      }
    >
      {check && <CheckResult check={check} current={provider.model} onPick={useModel} busy={update.isPending} />}
    </SavedCard>
  );
}
