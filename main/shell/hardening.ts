/**
 * The desktop shell's security decisions as plain functions: Electron cannot run in the tests, so
 * `main.ts` asks these and only wires the answers into Electron. Nothing here imports electron at
 * run time (types only).
 */
import path from 'node:path';
import type { MenuItemConstructorOptions, WebPreferences } from 'electron';

/** What Electron's `safeStorage` reports, read after the app is ready. */
export interface KeychainState {
  platform: NodeJS.Platform;
  encryptionAvailable: boolean;
  /** `safeStorage.getSelectedStorageBackend()` on Linux; ignored elsewhere. */
  linuxBackend?: string;
}

/**
 * Whether API keys can be stored encrypted, and if not, what to tell the user. On Linux without a
 * keyring (no GNOME Keyring, KWallet or other Secret Service) Electron falls back to `basic_text`,
 * which "encrypts" with a password built into Chromium: anyone who can read the file reads the key.
 */
export function keychainProblem(state: KeychainState): string | null {
  const fallback =
    'Write the key as env:NAME to read it from an environment variable instead, or use `character-studio serve`, which keeps keys in a file only you can read.';
  if (state.platform === 'linux' && state.linuxBackend === 'basic_text') {
    return (
      'No system keyring was found (Electron would use its basic_text store), so API keys would not be encrypted on disk. ' +
      'Install and unlock GNOME Keyring or KWallet (or start the app with --password-store=gnome-libsecret), then save the key again. ' +
      fallback
    );
  }
  if (!state.encryptionAvailable) {
    return `The system keychain is not available, so API keys cannot be stored encrypted. ${fallback}`;
  }
  return null;
}

/**
 * The renderer file a `studio://app/…` request names, or null (wrong host, a `%` escape that does
 * not decode, a path outside the renderer folder): the protocol handler answers 404 for null
 * instead of throwing.
 */
export function rendererFileFor(requestUrl: string, rendererDir: string, host = 'app'): string | null {
  let url: URL;
  let relative: string;
  try {
    url = new URL(requestUrl);
    relative = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  } catch {
    return null; // URIError: malformed %-escape; TypeError: not a URL
  }
  if (url.host !== host || relative.includes('\0')) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, relative || 'index.html');
  return file.startsWith(root + path.sep) ? file : null;
}

/** The window's web preferences: sandboxed, isolated, and without DevTools in packaged builds. */
export function windowWebPreferences(preload: string, isPackaged: boolean): WebPreferences {
  return {
    preload,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    webSecurity: true,
    webviewTag: false,
    spellcheck: true,
    devTools: !isPackaged,
  };
}

/**
 * The application menu. Electron's `viewMenu` role includes "Toggle Developer Tools"; packaged
 * builds get a View menu without it (zoom and full screen only).
 */
export function applicationMenu(platform: NodeJS.Platform, isPackaged: boolean): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions = isPackaged
    ? {
        label: 'View',
        submenu: [
          { role: 'resetZoom' },
          { role: 'zoomIn' },
          { role: 'zoomOut' },
          { type: 'separator' },
          { role: 'togglefullscreen' },
        ],
      }
    : { role: 'viewMenu' };
  const menu: MenuItemConstructorOptions[] = [{ role: 'editMenu' }, view, { role: 'windowMenu' }];
  if (platform === 'darwin') menu.unshift({ role: 'appMenu' });
  return menu;
}

/** Every permission check is refused: the studio needs no camera, microphone, notifications… */
export const denyPermissionCheck = (): boolean => false;
