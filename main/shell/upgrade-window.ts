import { BrowserWindow } from 'electron';

/**
 * A small window showing `page` (upgrade-notice.ts) before an open that blocks the main process: a
 * migration (`pendingDatabaseUpgrade`) or the check after an unclean shutdown (`pendingDatabaseCheck`).
 * Without it a large dataset's first start after an update or a crash would show nothing for many seconds. Resolves once the window has been shown and has had time to paint,
 * since main cannot service it again until the migration ends. The caller destroys it.
 */
export async function showNoticeWindow(page: string): Promise<BrowserWindow> {
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
  await win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(page)}`);
  await shown;
  win.show();
  await new Promise((resolve) => setTimeout(resolve, 150));
  return win;
}
