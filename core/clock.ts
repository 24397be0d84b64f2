/**
 * Epoch time in nanoseconds. Wall clock once at start, monotonic hrtime after, so timings within a
 * process never go backwards and still read as dates in a recording.
 */
const baseEpochNs = BigInt(Date.now()) * 1_000_000n;
const baseHr = process.hrtime.bigint();
/** baseEpochNs − baseHr, so a read is one BigInt addition (one BigInt allocated, not two). */
const offsetNs = baseEpochNs - baseHr;

export function nowNs(): bigint {
  return process.hrtime.bigint() + offsetNs;
}
