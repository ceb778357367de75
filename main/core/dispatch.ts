import type { CommandArg, CommandName, CommandResult, Outcome } from '../../common/contract';
import { StudioFailure, toStudioError } from './errors';
import { commandSchemas, describeIssues, isCommandName } from './schemas';
import { clause } from '../../common/sentence';

/** Every command's implementation. A missing or mistyped handler is a compile error. */
export type Handlers = {
  [K in CommandName]: (arg: CommandArg<K>) => CommandResult<K> | Promise<CommandResult<K>>;
};

export type { Outcome };

/**
 * The one entry every door uses: checks the name, validates the argument with the command's
 * schema, runs the handler and turns any failure into `{code, message}`. Never throws. An
 * unexpected failure is logged through `redact` (API keys masked).
 */
export async function dispatch(
  handlers: Handlers,
  name: string,
  arg: unknown,
  redact: (text: string) => string = (text) => text,
): Promise<Outcome> {
  if (!isCommandName(name)) {
    return { ok: false, error: { code: 'unknown_command', message: `There is no command "${name}".` } };
  }
  const parsed = commandSchemas[name].safeParse(arg ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'invalid_argument',
        message: `Invalid argument for ${name}: ${clause(describeIssues(parsed.error))}.`,
      },
    };
  }
  try {
    const handler = handlers[name] as (value: unknown) => unknown;
    return { ok: true, result: await handler(parsed.data) };
  } catch (error) {
    if (!(error instanceof StudioFailure)) {
      console.error(
        redact(`command ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
      );
    }
    return { ok: false, error: toStudioError(error) };
  }
}
