import type { Provider, ProviderDraft } from '../../../common/contract';
import { argument, findProvider, numberOption, pathOption, str, UsageError, type CliContext } from '../shared';

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

/** `providers list|add|test`. */
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
                  `${p.name} — ${p.preset}, ${p.kind === 'embedded' ? p.modelPath : `${p.model} at ${p.baseUrl}`}  [${p.id}]`,
              )
              .join('\n'),
      );
      return 0;
    }
    case 'add': {
      const created = await call('providers/create', draftOf(values));
      print(created, () => `Added provider ${created.name} [${created.id}]`);
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
      throw new UsageError(`Unknown command "providers ${sub}".`);
  }
}
