import type { Host, HostDraft } from '../../common/contract';
import type { Studio } from '../../main/core/studio';
import type { TestSshd } from './sshd';
import { call } from './studio';

/** The test sshd as an SSH host of `studio` (named `lab-gpu` unless `patch` says otherwise), saved. */
export function saveTestHost(
  studio: Studio,
  sshd: TestSshd,
  where: { python: string; remoteRoot: string },
  patch: Partial<HostDraft> = {},
): Promise<Host> {
  return call(studio, 'hosts/save', {
    name: 'lab-gpu',
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.userKeyPath,
    python: where.python,
    remoteRoot: where.remoteRoot,
    gpuCount: 1,
    ...patch,
  });
}

/** `saveTestHost`, then its host key trusted as the Settings' check does; throws when the check fails. */
export async function trustedTestHost(
  studio: Studio,
  sshd: TestSshd,
  where: { python: string; remoteRoot: string },
): Promise<Host> {
  const host = await saveTestHost(studio, sshd, where);
  const trusted = await call(studio, 'hosts/trust', { id: host.id, fingerprint: sshd.hostFingerprint });
  if (!trusted.ok) throw new Error(`The test host was not trusted: ${trusted.summary}`);
  return host;
}

/** `host` saved again with `patch` (a port nothing answers on, a proxy's), keeping its id and key. */
export function resaveHost(studio: Studio, host: Host, patch: Partial<HostDraft>): Promise<Host> {
  const { id: _id, createdAt: _c, updatedAt: _u, hasPassphrase: _p, ...draft } = host;
  return call(studio, 'hosts/save', { ...draft, id: host.id, ...patch });
}
