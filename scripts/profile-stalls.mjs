// What ran during each event-loop stall of a benchmark: `node scripts/profile-stalls.mjs <profile>
// <stalls.json> [floorMs]` reads a `--cpu-prof` profile of the run and the stalls the benchmark wrote
// (event-loop-100k with BENCH_STALLS_FILE: `monotonicUs` [start, end] on the profile's clock), and
// prints, for each stall whose time on a CPU is at least floorMs (default 30), the studio's frames
// seen most in the samples taken within it (inclusive, so a handler and what it called both show).
//   node --expose-gc --cpu-prof --cpu-prof-dir=/tmp/prof scripts/bench.mjs event-loop-100k
//   (with BENCH_STALLS_FILE=/tmp/stalls.json), then this script on the main thread's profile.
import fs from 'node:fs';

const [profileFile, stallsFile, floor = '30'] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8'));
const stalls = JSON.parse(fs.readFileSync(stallsFile, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (id) => {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  return `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`;
};
// Sample times on the monotonic clock, µs.
const times = [];
let t = profile.startTime;
for (const delta of profile.timeDeltas) times.push((t += delta));

for (const stall of stalls.filter((s) => !(s.onCpuMs < Number(floor))).sort((a, b) => b.onCpuMs - a.onCpuMs)) {
  const [start, end] = stall.monotonicUs;
  const inclusive = new Map();
  const self = new Map();
  let samples = 0;
  profile.samples.forEach((id, i) => {
    if (times[i] < start || times[i] > end) return;
    samples++;
    self.set(name(id), (self.get(name(id)) ?? 0) + 1);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) seen.add(name(at));
    for (const n of seen) inclusive.set(n, (inclusive.get(n) ?? 0) + 1);
  });
  const top = (map, n, keep) =>
    [...map]
      .filter(([k]) => keep(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n);
  console.log(
    `== stall ${Math.round(stall.end - stall.start)} ms (${Math.round(stall.onCpuMs)} on a CPU, ${Math.round(stall.waitingMs)} waiting), ${samples} samples`,
  );
  for (const [k, v] of top(inclusive, 14, (k) => /\.m?js:/.test(k) && !k.includes('node_modules')))
    console.log(`   ${v}\t${k}`);
  console.log(
    `   self: ${top(self, 6, () => true)
      .map(([k, v]) => `${k} ${v}`)
      .join(' | ')}`,
  );
}
