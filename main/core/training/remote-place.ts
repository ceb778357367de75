import type { TrainingRunRow } from '../../store/training-repo';
import type { HostLogin } from './host-service';

/**
 * Where a run on an SSH host lives there, as the run recorded it when its trainer was launched or
 * re-attached (training_runs.remote_place): enough for a person to find and stop the trainer by
 * hand once the studio cannot reach it (its host deleted from the settings).
 */
export interface RemotePlace extends HostLogin {
  /** The run's folder on the host (absolute): its job, events, logs, checkpoints and pid file. */
  dir: string;
  /** The trainer's process (the leader of its process group). */
  pid: number;
}

export function placeOf(login: HostLogin, dir: string, pid: number): string {
  const place: RemotePlace = { host: login.host, port: login.port, username: login.username, dir, pid };
  return JSON.stringify(place);
}

export function recordedPlace(row: Pick<TrainingRunRow, 'remote_place'>): RemotePlace | null {
  if (!row.remote_place) return null;
  try {
    return JSON.parse(row.remote_place) as RemotePlace;
  } catch {
    return null;
  }
}

/**
 * The note on a run cancelled in the studio only: the studio did not reach the machine (`why`: its
 * host was deleted from the settings, unless said otherwise), so the trainer may still run there;
 * where and how to stop it by hand.
 */
export function cancelledUnreachedNote(
  row: Pick<TrainingRunRow, 'id' | 'remote_place' | 'runner'>,
  why = 'the SSH host of this run was deleted, so the studio could not reach the machine',
): string {
  const head = `Cancelled in the studio only: ${why}, and the trainer may still be running there.`;
  const kept = 'Its logs and anything already brought home are kept.';
  const place = recordedPlace(row);
  if (!place) {
    const seen = row.runner ? ` It was last seen as ${row.runner}.` : '';
    return `${head}${seen} To stop it by hand, log in to that machine and kill the process whose id is in the file runs/${row.id}/pid under the studio's folder there (.character-studio in your home unless the host said otherwise). ${kept}`;
  }
  const port = place.port === 22 ? '' : `-p ${place.port} `;
  return `${head} To stop it by hand: ssh ${port}${place.username}@${place.host} 'kill -- -${place.pid}' (the trainer's process group, pid ${place.pid}); its folder there is ${place.dir}, with its checkpoints (delete it once you no longer need them). ${kept}`;
}
