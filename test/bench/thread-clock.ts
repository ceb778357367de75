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

/**
 * Every thread of this process and its time on a CPU so far, in ms, by thread id (Linux's
 * schedstat); an empty map where there is none. A thread that ends between the listing and its
 * read is left out.
 */
export function threadsCpuMs(): Map<number, number> {
  const times = new Map<number, number>();
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${process.pid}/task`);
  } catch {
    return times;
  }
  for (const tid of tids) {
    try {
      const cpu = Number(fs.readFileSync(`/proc/${process.pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      times.set(Number(tid), cpu / 1e6);
    } catch {
      // the thread ended
    }
  }
  return times;
}
