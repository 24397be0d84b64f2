import { randomFillSync } from 'node:crypto';

/**
 * Exchange ids: ULID-shaped (26 Crockford base32 chars: 48-bit ms time + 80 bits), monotonic within
 * a process so ids sort in arrival order even within one millisecond. Randomness is drawn in
 * batches to keep the hot path free of a syscall per id.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const pool = new Uint8Array(4096);
let poolPos = pool.length;
let lastMs = -1;
const rand = new Uint8Array(10);

function refillRandom(): void {
  if (poolPos + 10 > pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  for (let i = 0; i < 10; i++) rand[i] = pool[poolPos++]!;
}

function incrementRandom(): void {
  for (let i = 9; i >= 0; i--) {
    if (rand[i]! < 255) {
      rand[i]!++;
      return;
    }
    rand[i] = 0;
  }
}

export function newExchangeId(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    refillRandom();
  } else {
    incrementRandom();
  }
  let out = '';
  let t = lastMs;
  const time = new Array<string>(10);
  for (let i = 9; i >= 0; i--) {
    time[i] = ALPHABET[t % 32]!;
    t = Math.floor(t / 32);
  }
  out = time.join('');
  // 80 random bits → 16 base32 chars, 5 bits at a time.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | rand[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31]!;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}
