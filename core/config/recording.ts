import { z } from 'zod';

export const recordingSchema = z
  .object({
    durability: z.enum(['sync', 'async']).default('sync'),
    flushIntervalMs: z.number().int().positive().default(50).describe('async mode: how often frames are flushed'),
    syncCommitWindowMs: z
      .number()
      .min(0)
      .max(1000)
      .default(2)
      .describe('sync mode: how long a commit waits for other running exchanges to share its fsync (0: commit at once)'),
    segmentMaxBytes: z.number().int().positive().default(64 * 1024 * 1024),
    segmentMaxAgeMs: z.number().int().positive().default(60_000),
    segmentMaxExchanges: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe("a segment is also sealed when its index lists this many exchanges: bounds the index of one segment (≈ 560 B of JSON per exchange, ≈ 14 B zstd-compressed) with small exchanges"),
    zstdLevel: z.number().int().min(1).max(19).default(1),
    redactHeaders: z.array(z.string().min(1)).default([]).describe('extra header names to redact'),
    sessionIdleGapMs: z.number().int().positive().default(5 * 60_000),
    onRecorderFailure: z.enum(['reject']).default('reject'),
    signingKeyFile: z.string().min(1).optional().describe('Ed25519 private key (PEM); generated into dataDir if absent'),
    spoolMaxBytes: z.number().int().positive().default(8 * 1024 ** 3),
    frameBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('uncompressed size at which a zstd frame is cut (a sync commit also cuts one)'),
    maxUnwrittenBytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024 * 1024)
      .describe('recorded bytes not yet written to disk above which new exchanges are refused (503)'),
    failureReserveBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024)
      .describe('memory kept for records (rejections first) while the disk fails; beyond it records are dropped and a gap is recorded'),
    retryIntervalMs: z.number().int().positive().default(1000).describe('how often a failed disk is retried'),
  })
  .strict();

export type RecordingConfig = z.infer<typeof recordingSchema>;
