import type { DatabaseCheck } from '../../../../common/contract';
import { useCommand, useInfo } from '../../lib/queries';
import { SettingsSection } from './SettingsSection';

/**
 * Settings → Database: where the studio's data lives and the full integrity check on demand.
 * Opening checks every page only after an unclean shutdown; this button covers the rest. The
 * check runs read-only on a worker in main, so the studio keeps working meanwhile.
 */
export function DatabasePanel() {
  const info = useInfo();
  const check = useCommand('app/check-database');
  return (
    <SettingsSection
      title="Database"
      description={
        <>
          {info.data ? <code>{info.data.databasePath}</code> : 'The studio database'} is checked page by page when it
          opens after a crash or power loss. Check it yourself after copying it, or if the disk misbehaves.
        </>
      }
      action={
        <button onClick={() => check.mutate({})} disabled={check.isPending}>
          {check.isPending ? 'Checking…' : 'Check database'}
        </button>
      }
    >
      {check.data && <CheckReport check={check.data} />}
    </SettingsSection>
  );
}

function CheckReport({ check }: { check: DatabaseCheck }) {
  const size = `${(check.sizeBytes / 2 ** 20).toFixed(1)} MiB`;
  const seconds = check.durationMs < 1000 ? `${check.durationMs} ms` : `${(check.durationMs / 1000).toFixed(1)} s`;
  return (
    <div className={check.ok ? 'check ok' : 'check bad'} role="status" aria-label="Database check">
      <p className="check-summary">
        <span aria-hidden="true">{check.ok ? '✓' : '✕'}</span>{' '}
        {check.ok
          ? `No problems found (${size}, checked in ${seconds}).`
          : `The database is damaged (${size}, checked in ${seconds}). SQLite reports:`}
      </p>
      {!check.ok && (
        <>
          <ul className="check-problems">
            {check.problems.map((line, index) => (
              <li key={index}>{line}</li>
            ))}
          </ul>
          <p className="muted">
            Nothing was changed. Close every Character Studio window and command, then restore the file from a backup,
            or move it aside (with its -wal and -shm files) to start with an empty one.
          </p>
        </>
      )}
    </div>
  );
}
