import { BrowserWindow } from 'electron';
import { upgradeNotice } from './upgrade-notice';

/**
 * A small window shown before an upgrade that blocks the main process while it migrates (see
 * `pendingDatabaseUpgrade`): without it a large dataset's first start after an update would show
 * nothing for many seconds. Resolves once the window has been shown and has had time to paint,
 * since main cannot service it again until the migration ends. The caller destroys it.
 */
export async function showUpgradeWindow(step: { from: number; to: number }): Promise<BrowserWindow> {
  const win = new BrowserWindow({
    width: 440,
    height: 150,
    resizable: false,
    minimizable: false,
    maximizable: false,
    show: false,
    title: 'Character Studio',
    backgroundColor: '#f6f5f2',
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false },
  });
  const shown = new Promise<void>((resolve) => win.once('ready-to-show', () => resolve()));
  await win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(upgradeNotice(step))}`);
  await shown;
  win.show();
  await new Promise((resolve) => setTimeout(resolve, 150));
  return win;
}
