import type { Provider } from '../../../common/contract';
import { argument, findProvider, numberOption, pathOption, str, UsageError, type CliContext } from '../shared';

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
      const preset = (str(values, 'preset') ?? 'custom') as Provider['preset'];
      const apiKey = str(values, 'api-key');
      const created = await call('providers/create', {
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
      });
      print(created, () => `Added provider ${created.name} [${created.id}]`);
      return 0;
    }
    case 'test': {
      const provider = await findProvider(call, argument(rest, 1, '<provider>'));
      const check = await call('providers/test', { id: provider.id });
      print(check, () =>
        [check.summary, ...check.steps.map((s) => `  ${s.ok ? '✓' : '✗'} ${s.name}: ${s.message}`)].join('\n'),
      );
      return check.ok ? 0 : 1;
    }
    default:
      throw new UsageError(`Unknown command "providers ${sub}".`);
  }
}
