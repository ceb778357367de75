import { useState, type FormEvent } from 'react';
import type { ModelPrice } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { queryClient, useCommand, usePrices } from '../../lib/queries';

/** Prices per model, US dollars per million tokens. Each row saves on its own. */
export function PriceTable() {
  const prices = usePrices();
  if (prices.isPending) return <p className="muted">Loading…</p>;
  if (prices.isError) return <p className="form-error">{prices.error.message}</p>;
  return (
    <table className="price-table">
      <thead>
        <tr>
          <th scope="col">Model</th>
          <th scope="col">Prompt, $ / M tokens</th>
          <th scope="col">Completion, $ / M tokens</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {prices.data.map((p) => (
          <PriceRow key={p.model} price={p} />
        ))}
        <PriceRow price={null} />
      </tbody>
    </table>
  );
}

function PriceRow({ price }: { price: ModelPrice | null }) {
  const [model, setModel] = useState(price?.model ?? '');
  const [prompt, setPrompt] = useState(price ? String(price.promptPerMillion) : '');
  const [completion, setCompletion] = useState(price ? String(price.completionPerMillion) : '');
  const [error, setError] = useState<string | null>(null);
  const save = useCommand('prices/set', { quiet: true });
  const dirty =
    price === null
      ? model.trim() !== ''
      : prompt !== String(price.promptPerMillion) || completion !== String(price.completionPerMillion);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const p = Number(prompt);
    const c = Number(completion);
    if (prompt.trim() === '' || completion.trim() === '' || !(p >= 0) || !(c >= 0)) {
      setError('Both prices must be numbers of at least 0 (US dollars per million tokens).');
      return;
    }
    try {
      const list = await save.mutateAsync({ model: model.trim(), promptPerMillion: p, completionPerMillion: c });
      queryClient.setQueryData(['prices/list', {}], list);
      void queryClient.invalidateQueries({ queryKey: ['generation/estimate'] });
      if (price === null) {
        setModel('');
        setPrompt('');
        setCompletion('');
      }
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const formId = `price-${price?.model ?? 'new'}`;
  return (
    <>
      <tr className={price ? undefined : 'new-row'}>
        <td>
          {price ? (
            <code>{price.model}</code>
          ) : (
            <input
              form={formId}
              aria-label="New model"
              placeholder="model id, e.g. gpt-4o-mini"
              value={model}
              onChange={(e) => setModel(e.target.value)}
            />
          )}
        </td>
        <td>
          <input
            form={formId}
            type="number"
            step="any"
            min={0}
            aria-label={`Prompt price${price ? ` for ${price.model}` : ''}`}
            value={prompt}
            onChange={(e) => setPrompt(e.target.value)}
          />
        </td>
        <td>
          <input
            form={formId}
            type="number"
            step="any"
            min={0}
            aria-label={`Completion price${price ? ` for ${price.model}` : ''}`}
            value={completion}
            onChange={(e) => setCompletion(e.target.value)}
          />
        </td>
        <td>
          <form id={formId} onSubmit={(e) => void onSubmit(e)}>
            <button
              className={price ? 'small' : 'small primary'}
              type="submit"
              aria-label={price ? `Save the price of ${price.model}` : 'Add price'}
              disabled={!dirty || save.isPending}
            >
              {price ? 'Save' : 'Add'}
            </button>
          </form>
        </td>
      </tr>
      {error && (
        <tr>
          <td colSpan={4}>
            <p className="form-error" role="alert">
              {error}
            </p>
          </td>
        </tr>
      )}
    </>
  );
}
