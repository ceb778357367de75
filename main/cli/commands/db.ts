import type { DatabaseCheck } from '../../../common/contract';
import type { CliContext } from '../shared';
import { unknownSubcommand } from '../command-hints';

/**
 * `db check`: the full integrity check of the studio database, on demand. Opening checks every
 * page only after an unclean shutdown; this is for the rest. Exit code 1 when damage is found.
 */
export async function dbCommand(sub: string, ctx: CliContext): Promise<number> {
  switch (sub) {
    case 'check': {
      ctx.io.err('Checking every page of the database (about 1 s per GB)…');
      const check = await ctx.call('app/check-database', {});
      ctx.print(check, () => describeCheck(check));
      return check.ok ? 0 : 1;
    }
    default:
      throw unknownSubcommand('db', sub);
  }
}

export function describeCheck(check: DatabaseCheck): string {
  const size = `${(check.sizeBytes / 2 ** 20).toFixed(1)} MiB`;
  const seconds = check.durationMs < 1000 ? `${check.durationMs} ms` : `${(check.durationMs / 1000).toFixed(1)} s`;
  if (check.ok) return `✓ No problems found in ${check.databasePath} (${size}, checked in ${seconds}).`;
  return [
    `✗ ${check.databasePath} is damaged (${size}, checked in ${seconds}). SQLite reports:`,
    ...check.problems.map((line) => `  ${line}`),
    'Close every Character Studio window and command, then restore the file from a backup, or move it aside',
    '(with its -wal and -shm files) to start with an empty one. Nothing was changed by this check.',
  ].join('\n');
}
