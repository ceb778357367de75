// What a benchmark's main thread was blocked on during its event-loop stalls (the part of a stall
// neither on a CPU nor waiting for one: a system call or a page fault that sleeps). Linux only.
//   node scripts/blocked-stalls.mjs sample <pid> <samples.txt>
//     every ~3 ms, while <pid> lives, writes a line for each moment its main thread sleeps outside
//     epoll: `<epoch ms> <state>:<kernel function it waits in> <syscall number> <file of its fd>`
//     (x86-64 numbers: 17 pread64, 18 pwrite64, 74 fsync, 202 futex, -1 a page fault);
//   node scripts/blocked-stalls.mjs join <samples.txt> <stalls.json> [floorMs]
//     for each stall (dataset-io with BENCH_STALLS_FILE: `atEpochMs`, `ms`, `onCpuMs`, `waitingMs`)
//     blocked for at least floorMs (default 30), the samples taken within it, most frequent first.
// E.g. start the bench, then `node scripts/blocked-stalls.mjs sample $(pgrep -f 'bench.mjs dataset-io') /tmp/s.txt &`.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [mode, ...args] = process.argv.slice(2);
/** epoll_wait, epoll_pwait, epoll_pwait2: the event loop waiting for work, not a stall. */
const EPOLL = new Set(['232', '281', '441']);
/** System calls whose first argument is a file descriptor worth naming. */
const WITH_FD = new Set(['0', '1', '17', '18', '74', '75', '77']);

if (mode === 'sample') {
  const [pid, out] = args;
  const task = `/proc/${pid}/task/${pid}`;
  const lines = fs.openSync(out, 'w');
  for (;;) {
    let stat;
    try {
      stat = fs.readFileSync(`${task}/stat`, 'utf8');
    } catch {
      break; // the process ended
    }
    const state = stat[stat.lastIndexOf(')') + 2];
    if (state === 'D' || state === 'S') {
      const call = read(`${task}/syscall`).split(' ');
      if (state === 'D' || !EPOLL.has(call[0])) {
        const file = WITH_FD.has(call[0]) && call[1] ? fdName(pid, Number.parseInt(call[1], 16)) : '-';
        fs.writeSync(lines, `${Date.now()} ${state}:${read(`${task}/wchan`)} ${call[0] || '?'} ${file}\n`);
      }
    }
    await sleep(3);
  }
} else if (mode === 'join') {
  const [samplesFile, stallsFile, floor = '30'] = args;
  const samples = fs
    .readFileSync(samplesFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [at, ...what] = line.split(' ');
      return { at: Number(at), what: what.join(' ') };
    });
  const stalls = JSON.parse(fs.readFileSync(stallsFile, 'utf8'));
  const blocked = (s) => s.ms - s.onCpuMs - s.waitingMs;
  for (const stall of stalls.filter((s) => blocked(s) >= Number(floor)).sort((a, b) => blocked(b) - blocked(a))) {
    const counts = new Map();
    for (const { at, what } of samples) {
      if (at >= stall.atEpochMs - stall.ms && at <= stall.atEpochMs) counts.set(what, (counts.get(what) ?? 0) + 1);
    }
    const seen = [...counts].sort((a, b) => b[1] - a[1]).map(([what, n]) => `${n}× ${what}`);
    console.log(
      `${stall.ms} ms (on CPU ${stall.onCpuMs}, waiting for one ${stall.waitingMs}, blocked ${blocked(stall)}): ${seen.join(', ') || 'no sample'}`,
    );
  }
} else {
  console.error('usage: blocked-stalls.mjs sample <pid> <samples.txt> | join <samples.txt> <stalls.json> [floorMs]');
  process.exit(2);
}

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '?';
  }
}

function fdName(pid, fd) {
  try {
    return fs.readlinkSync(`/proc/${pid}/fd/${fd}`).split('/').pop();
  } catch {
    return String(fd);
  }
}
