import type { ModelPrice, Provider, ProviderDraft } from '../../../common/contract';
import {
  argument,
  confirmDelete,
  findProvider,
  numberOption,
  pathOption,
  str,
  UsageError,
  type CliContext,
} from '../shared';
import { unknownSubcommand } from '../command-hints';

/** A provider as the `providers add` options describe it; main checks what is missing. */
function draftOf(values: CliContext['values']): ProviderDraft {
  const preset = (str(values, 'preset') ?? 'custom') as Provider['preset'];
  const apiKey = str(values, 'api-key');
  return {
    name: str(values, 'name') ?? '',
    preset,
    baseUrl: str(values, 'base-url') ?? '',
    model: str(values, 'model') ?? '',
    modelPath: pathOption(values, 'model-path') ?? '',
    ...(apiKey !== undefined && { apiKey }),
    maxConcurrency: numberOption(str(values, 'concurrency'), '--concurrency', preset === 'embedded' ? 1 : 4),
    requestsPerMinute: numberOption(str(values, 'rpm'), '--rpm', 0),
    timeoutMs: numberOption(str(values, 'timeout-ms'), '--timeout-ms', 180_000),
    structuredOutput: !values['text-output'],
  };
}

/**
 * What `providers update` changes: only the options given (`--text-output` turns structured output
 * off, `--structured-output` back on; `--api-key ""` removes a stored key).
 */
function patchOf(values: CliContext['values']): Partial<ProviderDraft> {
  const text = (name: string) => str(values, name);
  const patch: Partial<ProviderDraft> = {};
  if (text('name') !== undefined) patch.name = text('name')!;
  if (text('base-url') !== undefined) patch.baseUrl = text('base-url')!;
  if (text('model') !== undefined) patch.model = text('model')!;
  const modelPath = pathOption(values, 'model-path');
  if (modelPath !== undefined) patch.modelPath = modelPath;
  if (text('api-key') !== undefined) patch.apiKey = text('api-key')!;
  if (text('concurrency') !== undefined) patch.maxConcurrency = numberOption(text('concurrency'), '--concurrency', 0);
  if (text('rpm') !== undefined) patch.requestsPerMinute = numberOption(text('rpm'), '--rpm', 0);
  if (text('timeout-ms') !== undefined) patch.timeoutMs = numberOption(text('timeout-ms'), '--timeout-ms', 0);
  if (values['text-output'] && values['structured-output'])
    throw new UsageError('Give --text-output or --structured-output, not both.');
  if (values['text-output']) patch.structuredOutput = false;
  if (values['structured-output']) patch.structuredOutput = true;
  return patch;
}

/** A price option: US dollars per million tokens, zero or more. */
function priceOption(values: CliContext['values'], name: string): number {
  const given = str(values, name);
  const value = Number(given);
  if (given === undefined || given.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new UsageError(`--${name} takes US dollars per million tokens (e.g. 0.15), not "${given ?? ''}".`);
  return value;
}

function describePrices(prices: ModelPrice[]): string {
  const width = Math.max(5, ...prices.map((p) => p.model.length));
  return [
    `${'model'.padEnd(width)}  prompt  completion  (US$ per million tokens)`,
    ...prices.map(
      (p) =>
        `${p.model.padEnd(width)}  ${String(p.promptPerMillion).padStart(6)}  ${String(p.completionPerMillion).padStart(10)}`,
    ),
  ].join('\n');
}

/** `providers list|add|update|delete|test|prices|price`. */
export async function providersCommand(sub: string, ctx: CliContext): Promise<number> {
  const { call, values, rest, print } = ctx;
  switch (sub) {
    case 'list': {
      const list = await call('providers/list', {});
      print(list, () =>
        list.length === 0
          ? 'No providers yet. Add one with: character-studio providers add'
          : list
              .map(
                (p) =>
                  `${p.name} — ${p.preset}, ${p.kind === 'embedded' ? p.modelPath : `${p.model} at ${p.baseUrl}`}${p.structuredOutput ? '' : ' (text output)'}  [${p.id}]`,
              )
              .join('\n'),
      );
      return 0;
    }
    case 'add': {
      const created = await call('providers/create', draftOf(values));
      print(
        created,
        () =>
          `Added provider ${created.name} [${created.id}]\nCheck that it answers: character-studio providers test "${created.name}"`,
      );
      return 0;
    }
    case 'update': {
      const provider = await findProvider(call, argument(rest, 1, '<provider>', 'providers update'));
      const patch = patchOf(values);
      if (Object.keys(patch).length === 0)
        throw new UsageError(
          'Say what to change: --name, --base-url, --model, --model-path, --api-key, --concurrency, --rpm, --timeout-ms, --text-output or --structured-output.',
        );
      const updated = await call('providers/update', { id: provider.id, ...patch });
      print(updated, () => `Updated provider ${updated.name} [${updated.id}]`);
      return 0;
    }
    case 'delete': {
      const provider = await findProvider(call, argument(rest, 1, '<provider>', 'providers delete'));
      await confirmDelete(
        ctx,
        `the provider ${provider.name} and its stored API key (jobs that used it keep their records)`,
      );
      const deleted = await call('providers/delete', { id: provider.id });
      print(deleted, () => `Deleted provider ${provider.name} (its stored API key too).`);
      return 0;
    }
    case 'prices': {
      const prices = await call('prices/list', {});
      print(prices, () => describePrices(prices));
      return 0;
    }
    case 'price': {
      const model = argument(rest, 1, '<model>', 'providers price');
      const prices = await call('prices/set', {
        model,
        promptPerMillion: priceOption(values, 'prompt-price'),
        completionPerMillion: priceOption(values, 'completion-price'),
      });
      print(prices, () => describePrices(prices.filter((p) => p.model === model.trim())));
      return 0;
    }
    case 'test': {
      // A saved provider by name or id; without one, the options describe a provider to try before
      // adding it (the model may be left out: the test lists the models to pick from).
      const named = rest[1];
      const check = await call(
        'providers/test',
        named === undefined
          ? { draft: draftOf(values) }
          : { id: (await findProvider(call, argument(rest, 1, '<provider>'))).id },
      );
      print(check, () =>
        [
          check.summary,
          ...check.steps.map((s) => `  ${s.ok ? '✓' : '✗'} ${s.name}: ${s.message}`),
          ...(check.models && check.models.length > 0 ? [`Models offered: ${check.models.join(', ')}`] : []),
        ].join('\n'),
      );
      return check.ok ? 0 : 1;
    }
    default:
      throw unknownSubcommand('providers', sub);
  }
}
