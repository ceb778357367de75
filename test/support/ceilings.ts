/**
 * How long one fuzzed input may take before the test calls it a hang, in ms. The fuzz tests guard
 * against hangs and runaway (quadratic, unbounded) work, which take far longer; a slow machine must
 * not trip them: on CI's two loaded cores one SQLite write or one GC pause can stall a process for
 * a second, and a fuzz test makes hundreds of tries.
 */
export const NO_HANG_MS = 5_000;
