/**
 * The desktop shell's security decisions (main/shell/hardening.ts). Electron cannot run here, so
 * the shell keeps these as plain functions and only wires their answers into Electron.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applicationMenu,
  denyPermissionCheck,
  keychainProblem,
  rendererFileFor,
  windowWebPreferences,
} from '../../../main/shell/hardening';

const root = path.resolve('/opt/studio/renderer');

describe('the desktop shell', () => {
  it("refuses to store keys with Linux's basic_text backend and says what to do", () => {
    const weak = keychainProblem({ platform: 'linux', encryptionAvailable: true, linuxBackend: 'basic_text' });
    expect(weak).toMatch(/API keys would not be encrypted/);
    expect(weak).toMatch(/GNOME Keyring or KWallet/);
    expect(weak).toMatch(/env:NAME/);
    expect(
      keychainProblem({ platform: 'linux', encryptionAvailable: true, linuxBackend: 'gnome_libsecret' }),
    ).toBeNull();
    expect(keychainProblem({ platform: 'linux', encryptionAvailable: true, linuxBackend: 'kwallet6' })).toBeNull();
    expect(keychainProblem({ platform: 'darwin', encryptionAvailable: true })).toBeNull();
    expect(keychainProblem({ platform: 'win32', encryptionAvailable: false })).toMatch(/not available.*env:NAME/);
  });

  it('maps studio:// requests to renderer files and survives bad % escapes', () => {
    expect(rendererFileFor('studio://app/', root)).toBe(path.join(root, 'index.html'));
    expect(rendererFileFor('studio://app/assets/main.js', root)).toBe(path.join(root, 'assets', 'main.js'));
    expect(rendererFileFor('studio://app/assets/a%20b.css', root)).toBe(path.join(root, 'assets', 'a b.css'));
    for (const bad of [
      'studio://app/%E0%A4%A',
      'studio://app/%',
      'studio://app/%zz',
      'studio://app/%00index.html',
      'studio://app/..%2F..%2Fetc%2Fpasswd',
      'studio://other/index.html',
      'not a url',
    ]) {
      expect(() => rendererFileFor(bad, root)).not.toThrow();
      expect(rendererFileFor(bad, root), bad).toBeNull();
    }
  });

  it('hides DevTools in packaged builds and keeps the window sandboxed', () => {
    const packaged = windowWebPreferences('/p/preload.cjs', true);
    expect(packaged).toMatchObject({ devTools: false, sandbox: true, contextIsolation: true, nodeIntegration: false });
    expect(windowWebPreferences('/p/preload.cjs', false).devTools).toBe(true);

    const roles = (menu: ReturnType<typeof applicationMenu>): string[] =>
      menu.flatMap((item) => [
        item.role ?? '',
        ...(Array.isArray(item.submenu) ? item.submenu.map((sub) => sub.role ?? '') : []),
      ]);
    const shipped = roles(applicationMenu('linux', true));
    expect(shipped).not.toContain('viewMenu'); // Electron's View menu carries "Toggle Developer Tools"
    expect(shipped).not.toContain('toggleDevTools');
    expect(shipped).toContain('zoomIn');
    expect(roles(applicationMenu('linux', false))).toContain('viewMenu');
    expect(roles(applicationMenu('darwin', true))[0]).toBe('appMenu');
  });

  it('denies every permission check', () => {
    expect(denyPermissionCheck()).toBe(false);
  });
});
