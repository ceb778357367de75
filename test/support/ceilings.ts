/**
 * How long one fuzzed input may take before the test calls it a hang, in ms. The fuzz tests guard
 * against hangs and runaway (quadratic, unbounded) work, which take far longer; a slow machine must
 * not trip them: on CI's two loaded cores one SQLite write or one GC pause can stall a process for
 * a second, and a fuzz test makes hundreds of tries.
 */
export const NO_HANG_MS = 5_000;

/**
 * How long a wait that should end at once (an abort, a timeout of a few hundred ms) may take before
 * a test calls it not prompt, in ms. Far below what such a test rules out (a 10 s backoff, a default
 * timeout of 60 s or more, a hang until the test's own timeout), and far above the second a loaded
 * CI core can stall a process for (a GC pause, a fork descheduled behind six others).
 */
export const PROMPT_MS = 5_000;

/**
 * The CPU time (user + system, ms) this process spends while `work` runs. For a bound on how much
 * work something does: unlike wall time, it does not grow when other processes share the cores.
 */
export async function cpuMsOf(work: () => unknown): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / 1000;
}
