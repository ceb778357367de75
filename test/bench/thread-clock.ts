import fs from 'node:fs';

/**
 * This thread's time on a CPU and waiting for one, in ms, from Linux's schedstat (the scheduler's
 * own counters, updated at its tick: ~4 ms steps); null where there is none. A stall whose time was
 * mostly waiting is the machine's load (other processes had the cores), one mostly on a CPU is our
 * synchronous work, and one with neither is a blocking wait (a GC waiting for its helper threads, a
 * disk read).
 */
export function threadClock(): (() => { cpuMs: number; waitMs: number }) | null {
  const file = `/proc/${process.pid}/task/${process.pid}/schedstat`;
  const read = () => {
    const [cpu, wait] = fs.readFileSync(file, 'utf8').split(' ').map(Number);
    return { cpuMs: cpu! / 1e6, waitMs: wait! / 1e6 };
  };
  try {
    read();
    return read;
  } catch {
    return null;
  }
}
