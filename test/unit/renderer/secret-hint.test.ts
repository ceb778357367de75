// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { secretHint } from '../../../renderer/src/components/settings/SecretHint';

/** The key-storage hint says where a key really goes, door by door (issue #8, point 11). */
describe('where a secret goes', () => {
  it('names the keychain only on the desktop, and the private file for serve and the CLI', () => {
    const desktop = secretHint({ door: 'desktop', dataDir: '/home/ada/.config/Character Studio/' }, 'key');
    expect(desktop).toContain('encrypted with your system keychain');
    expect(desktop).toContain('/home/ada/.config/Character Studio/secrets.json');
    for (const door of ['web', 'cli'] as const) {
      const hint = secretHint({ door, dataDir: '/srv/studio' }, 'passphrase');
      expect(hint).not.toMatch(/keychain/);
      expect(hint).toContain('The passphrase is stored unencrypted in /srv/studio/secrets.json');
      expect(hint).toContain('only your user account can read');
    }
    expect(secretHint(undefined, 'key')).toBe('The key is never shown again.');
  });
});
