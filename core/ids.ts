import { randomFillSync } from 'node:crypto';

/**
 * Exchange ids: ULID-shaped (26 Crockford base32 chars: 48-bit ms time + 80 bits), monotonic within
 * a process so ids sort in arrival order even within one millisecond. Randomness is drawn in
 * batches to keep the hot path free of a syscall per id.
 *
 * Hot path (one id per exchange): the id's characters live in one reused byte buffer; a new
 * millisecond rewrites the time and draws fresh random digits, a repeat millisecond adds one to the
 * 80-bit random part (a base-32 increment of its 16 digits, the same as incrementing the number),
 * and the string is made from the bytes in one step.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const ID_LENGTH = TIME_CHARS + RANDOM_CHARS;

const pool = new Uint8Array(4096);
let poolPos = pool.length;
let lastMs = -1;
/** The random part as base-32 digits, most significant first. */
const digits = new Uint8Array(RANDOM_CHARS);
const chars = Buffer.alloc(ID_LENGTH) as Buffer & { latin1Slice(start: number, end: number): string };

function writeTime(ms: number): void {
  let t = ms;
  for (let i = TIME_CHARS - 1; i >= 0; i--) {
    chars[i] = ALPHABET_CODES[t % 32]!;
    t = Math.floor(t / 32);
  }
}

/** 80 fresh random bits → 16 base-32 digits, 5 bits at a time. */
function drawRandom(): void {
  if (poolPos + 10 > pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  let acc = 0;
  let bits = 0;
  let d = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | pool[poolPos++]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      const v = (acc >>> bits) & 31;
      digits[d] = v;
      chars[TIME_CHARS + d] = ALPHABET_CODES[v]!;
      d++;
    }
    acc &= (1 << bits) - 1;
  }
}

function incrementRandom(): void {
  for (let d = RANDOM_CHARS - 1; d >= 0; d--) {
    const v = digits[d]! + 1;
    if (v < 32) {
      digits[d] = v;
      chars[TIME_CHARS + d] = ALPHABET_CODES[v]!;
      return;
    }
    digits[d] = 0;
    chars[TIME_CHARS + d] = ALPHABET_CODES[0]!;
  }
}

export function newExchangeId(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    writeTime(nowMs);
    drawRandom();
  } else {
    incrementRandom();
  }
  return chars.latin1Slice(0, ID_LENGTH);
}
