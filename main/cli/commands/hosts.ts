import type { Host, HostCheck } from '../../../common/contract';
import {
  argument,
  confirmDelete,
  findHost,
  numberOption,
  pathOption,
  str,
  UsageError,
  type CliContext,
} from '../shared';
import { StudioFailure } from '../../core/errors';
import { unknownSubcommand } from '../command-hints';

/** `hosts list|add|test|trust|delete`: SSH hosts for remote training. */
export async function hostsCommand(sub: string, ctx: CliContext): Promise<number> {
  const { call, values, rest, print } = ctx;
  switch (sub) {
    case 'list': {
      const list = await call('hosts/list', {});
      print(list, () =>
        list.length === 0
          ? 'No SSH hosts yet. Add one with: character-studio hosts add'
          : list.map(describeHost).join('\n'),
      );
      return 0;
    }
    case 'add': {
      const created = await call('hosts/save', {
        name: str(values, 'name') ?? '',
        host: str(values, 'host') ?? '',
        port: numberOption(str(values, 'port'), '--port', 22),
        username: str(values, 'user') ?? '',
        privateKeyPath: pathOption(values, 'key') ?? '',
        python: str(values, 'python') ?? 'python3',
        remoteRoot: str(values, 'remote-root') ?? '.character-studio',
        gpuCount: numberOption(str(values, 'gpus'), '--gpus', 1),
      });
      print(created, () => `Added host ${describeHost(created)}\nNext: character-studio hosts test ${created.name}`);
      return 0;
    }
    case 'test': {
      const host = await findHost(call, argument(rest, 1, '<host>'));
      const check = await call('hosts/test', { id: host.id });
      print(check, () => describeCheck(host, check));
      return check.ok ? 0 : 1;
    }
    case 'trust': {
      const host = await findHost(call, argument(rest, 1, '<host>'));
      const fingerprint = str(values, 'fingerprint');
      if (!fingerprint) {
        const check = await call('hosts/test', { id: host.id });
        if (!check.needsTrust) {
          print(check, () => describeCheck(host, check));
          return check.ok ? 0 : 1;
        }
        throw new UsageError(
          `Missing --fingerprint. ${host.name} presents ${check.fingerprint}; check it with the server's administrator (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server), then run:\n  character-studio hosts trust ${host.name} --fingerprint ${check.fingerprint}`,
        );
      }
      const check = await call('hosts/trust', { id: host.id, fingerprint });
      print(check, () => `Trusted ${check.fingerprint} for ${host.name}.\n${describeCheck(host, check)}`);
      return check.ok ? 0 : 1;
    }
    case 'delete': {
      const host = await findHost(call, argument(rest, 1, '<host>'));
      const force = values.force === true;
      await confirmDelete(
        ctx,
        force
          ? `the host ${host.name}, even if runs still train there (they would go on training there, out of the studio's reach; runs made there keep their records and downloaded files)`
          : `the host ${host.name} (runs made there keep their records and downloaded files)`,
      );
      let result: { deleted: true };
      try {
        result = await call('hosts/delete', { id: host.id, force });
      } catch (error) {
        if (!(error instanceof StudioFailure && error.code === 'conflict')) throw error;
        throw new StudioFailure(
          'conflict',
          `${error.message} Nothing was deleted. Cancel them with: character-studio train cancel <run>; or add --force to delete the host anyway.`,
        );
      }
      print(result, () => `Deleted host ${host.name}.`);
      return 0;
    }
    default:
      throw unknownSubcommand('hosts', sub);
  }
}

function describeHost(h: Host): string {
  const login = h.privateKeyPath ? `key ${h.privateKeyPath}` : 'SSH agent';
  return `${h.name} — ${h.username}@${h.host}:${h.port}, ${login}, python ${h.python}, root ${h.remoteRoot}, ${h.gpuCount} GPU(s)  [${h.id}]`;
}

function describeCheck(host: Host, check: HostCheck): string {
  const lines = [`${check.ok ? '✓' : '✗'} ${check.summary}`];
  if (check.fingerprint) lines.push(`  host key: ${check.fingerprint}`);
  if (check.needsTrust)
    lines.push(
      `  Trust it (after checking it with the server's administrator): character-studio hosts trust ${host.name} --fingerprint ${check.fingerprint}`,
    );
  if (check.doctor && !check.doctor.ok) lines.push(`  trainer: ${check.doctor.summary}`);
  return lines.join('\n');
}
