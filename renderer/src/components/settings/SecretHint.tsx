import type { AppInfo } from '../../../../common/contract';
import { useInfo } from '../../lib/queries';

/**
 * Where a secret typed in Settings really goes, by door: the desktop app encrypts it with the OS
 * keychain (Electron safeStorage) before writing it to `secrets.json`; `serve` and the CLI write it
 * as it is to `secrets.json`, a file only the user's account may read (mode 0600). Never the
 * database, never sent back to the screen.
 */
export function secretHint(info: Pick<AppInfo, 'door' | 'dataDir'> | undefined, what: string): string {
  if (!info) return `The ${what} is never shown again.`;
  const file = `${info.dataDir.replace(/[/\\]+$/, '')}/secrets.json`;
  return info.door === 'desktop'
    ? `The ${what} is encrypted with your system keychain and stored in ${file}; it is never shown again.`
    : `The ${what} is stored unencrypted in ${file}, a file only your user account can read; it is never shown again.`;
}

export function SecretHint({ what }: { what: string }) {
  return <>{secretHint(useInfo().data, what)}</>;
}
