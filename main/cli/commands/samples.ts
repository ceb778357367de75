import { argument, type CliContext } from '../shared';
import { unknownSubcommand } from '../command-hints';

/** `samples list|load <id>`: the sample characters shipped with the studio (resources/samples). */
export async function samplesCommand(sub: string, ctx: CliContext): Promise<number> {
  const { call, rest, print } = ctx;
  switch (sub) {
    case 'list': {
      const samples = await call('samples/list', {});
      print(samples, () =>
        samples.length === 0
          ? 'This installation has no sample characters.'
          : samples
              .map(
                (s) =>
                  `${s.id}  ${s.fullName} (${s.era}) — ${s.summary} [${s.licence}]${s.loadedAs ? '  (loaded)' : ''}`,
              )
              .join('\n'),
      );
      return 0;
    }
    case 'load': {
      const id = argument(rest, 1, '<sample>');
      const loaded = await call('samples/load', { id });
      print(
        loaded,
        () =>
          `Loaded the sample ${id}: a profile of ${loaded.chunks} chunks and ${loaded.scenes} scenes (${loaded.protective} protective), written by the studio's authors.`,
      );
      return 0;
    }
    default:
      throw unknownSubcommand('samples', sub);
  }
}
