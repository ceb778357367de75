/**
 * The local end of a model server's tunnel: a listener on 127.0.0.1 and a free port whose every
 * connection is forwarded through the SSH session (direct-tcpip) to a port on the host's 127.0.0.1.
 * It lives as long as the session's connection: a connection accepted while the session is closed
 * is refused (destroyed), and `close` ends the listener and every forwarded connection.
 */
import { createServer, type Socket } from 'node:net';
import { TrainerLaunchError } from './python-env';
import type { SshSession } from './ssh-session';

export class SshTunnel {
  private readonly listener = createServer();
  private readonly sockets = new Set<Socket>();
  private closed = false;

  constructor(
    private readonly session: Pick<SshSession, 'forwardOut' | 'hostName'>,
    /** Diagnostics ('log' lines of the launcher). */
    private readonly log: (line: string) => void,
  ) {}

  /** Listens on 127.0.0.1:0 and forwards each connection to the host's 127.0.0.1:`remotePort`; returns the local port. */
  async open(remotePort: number): Promise<number> {
    const { listener, sockets } = this;
    listener.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      const forwarding =
        !this.closed &&
        this.session.forwardOut(socket.remotePort ?? 0, remotePort, (error, channel) => {
          if (error) {
            this.log(`tunnel: cannot reach 127.0.0.1:${remotePort} on ${this.session.hostName}: ${error.message}`);
            socket.destroy();
            return;
          }
          if (socket.destroyed) {
            channel.close();
            return;
          }
          channel.on('error', () => socket.destroy());
          channel.on('close', () => socket.destroy());
          socket.on('close', () => channel.close());
          socket.pipe(channel).pipe(socket);
        });
      if (!forwarding) socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, '127.0.0.1', () => {
        listener.off('error', reject);
        resolve();
      });
    });
    const address = listener.address();
    if (typeof address !== 'object' || !address)
      throw new TrainerLaunchError('spawn_failed', 'The tunnel has no local port.');
    return address.port;
  }

  /** Ends every forwarded connection and stops listening; for good. */
  close(): void {
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
    if (this.listener.listening) this.listener.close();
  }
}
