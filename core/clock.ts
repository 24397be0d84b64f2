/**
 * Epoch time in nanoseconds. Wall clock once at start, monotonic hrtime after, so timings within a
 * process never go backwards and still read as dates in a recording.
 */
const baseEpochNs = BigInt(Date.now()) * 1_000_000n;
const baseHr = process.hrtime.bigint();

export function nowNs(): bigint {
  return baseEpochNs + (process.hrtime.bigint() - baseHr);
}
