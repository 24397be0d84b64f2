import { pino, type Logger } from 'pino';

/**
 * One structured line per event, never a body, never a secret. The level comes from the config
 * loader's caller (serve sets it); tests keep the default 'warn' so their output stays readable.
 */
export const log: Logger = pino({
  name: 'tapegate',
  level: 'info',
  base: { pid: process.pid },
  redact: { paths: ['authorization', '*.authorization', 'token', '*.token'], censor: '[redacted]' },
});

export type { Logger };
