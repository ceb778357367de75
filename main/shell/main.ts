import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  net,
  protocol,
  safeStorage,
  session,
  shell,
  type WebContents,
} from 'electron';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../common/ipc-channels';
import { StudioFailure } from '../core/errors';
import { FileSecretStore, type SecretCodec } from '../core/providers/secret-store';
import { pendingDatabaseCheck, pendingDatabaseUpgrade, Studio } from '../core/studio';
import { STUDIO_VERSION } from '../core/version';
import { isAllowedExternalUrl } from './external-links';
import {
  applicationMenu,
  denyPermissionCheck,
  keychainProblem,
  rendererFileFor,
  windowWebPreferences,
} from './hardening';
import { checkNotice, upgradeNotice } from './upgrade-notice';
import { showNoticeWindow } from './upgrade-window';
import { loadWindowState, saveWindowState } from './window-state';

/**
 * The desktop shell: the only code that imports `electron`. It opens the studio in Electron's
 * userData folder, serves the renderer from the `studio://app` scheme with a strict CSP, and
 * forwards the contract over IPC to windows it created itself.
 */

const SCHEME = 'studio';
const ORIGIN = `${SCHEME}://app`;
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

const rendererDir = path.join(__dirname, '..', 'renderer');
const preloadFile = path.join(__dirname, '..', 'preload', 'preload.cjs');

/** better-sqlite3 built for Electron's ABI: see scripts/electron-native.mjs and the README. */
function nativeBinding(): string | undefined {
  const candidates = app.isPackaged
    ? [path.join(process.resourcesPath, 'native', 'better_sqlite3.node')]
    : [path.join(app.getAppPath(), '.electron-native', 'better_sqlite3.node')];
  return candidates.find((file) => fs.existsSync(file));
}

let studio: Studio | null = null;
const windows = new Set<WebContents>();

/**
 * API keys encrypted with the OS keychain (Keychain, DPAPI, libsecret/kwallet) before they touch
 * disk. Refuses to store one when the keychain is missing or, on Linux, is Electron's unencrypted
 * `basic_text` fallback; keys stored earlier can still be read.
 */
const keychainCodec: SecretCodec = {
  encode: (plain) => {
    const problem = keychainProblem({
      platform: process.platform,
      encryptionAvailable: safeStorage.isEncryptionAvailable(),
      ...(process.platform === 'linux' && { linuxBackend: safeStorage.getSelectedStorageBackend() }),
    });
    if (problem) throw new StudioFailure('unavailable', problem);
    return `keychain:${safeStorage.encryptString(plain).toString('base64')}`;
  },
  decode: (stored) =>
    stored.startsWith('keychain:') ? safeStorage.decryptString(Buffer.from(stored.slice(9), 'base64')) : stored,
};

function openStudio(): Studio | null {
  try {
    const binding = nativeBinding();
    const dataDir = app.getPath('userData');
    return new Studio({
      secrets: new FileSecretStore(path.join(dataDir, 'secrets.json'), keychainCodec),
      dataDir,
      appRoot: app.getAppPath(),
      ...(app.isPackaged && {
        trainerDir: path.join(process.resourcesPath, 'trainer'),
        samplesDir: path.join(process.resourcesPath, 'samples'),
        modelCatalogDir: path.join(process.resourcesPath, 'models'),
      }),
      door: 'desktop',
      version: STUDIO_VERSION,
      ...(binding && { nativeBinding: binding }),
    });
  } catch (error) {
    dialog.showErrorBox('Character Studio cannot start', error instanceof Error ? error.message : String(error));
    return null;
  }
}

function createWindow(): void {
  const dataDir = app.getPath('userData');
  const state = loadWindowState(dataDir);
  const win = new BrowserWindow({
    ...state,
    minWidth: 820,
    minHeight: 520,
    show: false,
    title: 'Character Studio',
    backgroundColor: '#f6f5f2',
    webPreferences: windowWebPreferences(preloadFile, app.isPackaged),
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());

  const contents = win.webContents;
  windows.add(contents);
  contents.on('destroyed', () => windows.delete(contents));
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.on('close', () => {
    const bounds = win.getNormalBounds();
    saveWindowState(dataDir, { ...bounds, maximized: win.isMaximized() });
  });
  void win.loadURL(`${ORIGIN}/index.html`);
}

function isTrustedSender(frame: Electron.WebFrameMain | null): boolean {
  return frame !== null && frame.url.startsWith(`${ORIGIN}/`);
}

async function start(): Promise<void> {
  await app.whenReady();
  Menu.setApplicationMenu(Menu.buildFromTemplate(applicationMenu(process.platform, app.isPackaged)));

  protocol.handle(SCHEME, async (request) => {
    const file = rendererFileFor(request.url, rendererDir);
    if (!file) return new Response('Not found', { status: 404 });
    let response: Response;
    try {
      response = await net.fetch(pathToFileURL(file).toString());
    } catch {
      return new Response('Not found', { status: 404 });
    }
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(denyPermissionCheck);

  // Opening blocks this process while it reads every page after a crash, or migrates: say so first.
  const check = pendingDatabaseCheck(app.getPath('userData'));
  const upgrade = pendingDatabaseUpgrade(app.getPath('userData'), nativeBinding());
  const page = check ? checkNotice(check) : upgrade ? upgradeNotice(upgrade) : null;
  const notice = page ? await showNoticeWindow(page) : null;
  studio = openStudio();
  notice?.destroy();
  if (!studio) {
    app.quit();
    return;
  }
  const core = studio;
  ipcMain.handle(INVOKE_CHANNEL, async (event, name: unknown, arg: unknown) => {
    if (!isTrustedSender(event.senderFrame)) {
      return { ok: false, error: { code: 'forbidden', message: 'This window may not call the studio.' } };
    }
    return core.invoke(typeof name === 'string' ? name : '', arg);
  });
  core.events.subscribe((name, payload) => {
    for (const contents of windows) contents.send(EVENT_CHANNEL, name, payload);
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Running jobs stop cleanly (left `interrupted`, resumable) before the database closes.
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !studio) return;
    event.preventDefault();
    quitting = true;
    const core = studio;
    studio = null;
    void core.shutdown().finally(() => app.quit());
  });
  void start();
}
