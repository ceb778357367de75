import path from 'node:path';
import { Studio } from '../../core/studio';
import { STUDIO_VERSION } from '../../core/version';
import { WebServer } from '../../server/web-server';
import { databaseOpenNotice, embeddedThreadsFromEnv, type Io } from '../shared';

/** `serve`: the studio as a local web app until Ctrl+C. */
export async function serveCommand(
  appRoot: string,
  dataDir: string,
  host: string | undefined,
  portText: string | undefined,
  json: boolean,
  io: Io,
): Promise<number> {
  const port = portText === undefined ? 5757 : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err(`--port must be a number from 0 to 65535, not "${portText}".`);
    return 2;
  }
  let studio: Studio;
  try {
    const embeddedThreads = embeddedThreadsFromEnv();
    const upgrade = databaseOpenNotice(io);
    studio = new Studio({
      dataDir,
      door: 'web',
      version: STUDIO_VERSION,
      appRoot,
      ...(embeddedThreads !== undefined && { embeddedThreads }),
      onDatabaseUpgrade: upgrade.onDatabaseUpgrade,
      onDatabaseCheck: upgrade.onDatabaseCheck,
    });
    upgrade.done();
  } catch (error) {
    io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const staticDir = path.join(__dirname, '..', 'renderer');
  const make = (p: number) => new WebServer({ studio, staticDir, port: p, ...(host && { host }), log: io.err });
  let server = make(port);
  let url: string;
  try {
    url = await server.start();
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    if (code === 'EADDRINUSE' && portText === undefined) {
      io.err(`Port ${port} is busy; using a free one instead.`);
      server = make(0);
      url = await server.start();
    } else {
      io.err(`Error: cannot listen on ${host ?? '127.0.0.1'}:${port} (${code || String(error)}). Try another --port.`);
      studio.close();
      return 1;
    }
  }
  // Listening for Ctrl+C and SIGTERM before saying `ready`: a stop sent the moment a script reads
  // that line still shuts down cleanly (jobs left resumable, the database closed, no full check next open).
  const stopped = new Promise<number>((resolve) => {
    const stop = () => {
      void server
        .close()
        .then(() => studio.shutdown())
        .then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  if (json) io.out(JSON.stringify({ event: 'ready', url, origin: server.origin, dataDir }));
  else {
    io.out(`Character Studio is running at:\n\n  ${url}\n\nData folder: ${dataDir}\nPress Ctrl+C to stop.`);
  }
  if (host && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    io.err('Warning: the studio is reachable from other machines on this network; anyone with the address can use it.');
  }
  return stopped;
}
