import { z } from 'zod';

export const listenSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe('address the data port binds to'),
    port: z.number().int().min(0).max(65535).default(8080),
    adminHost: z.string().min(1).default('127.0.0.1').describe('address the admin port binds to'),
    adminPort: z.number().int().min(0).max(65535).default(9090),
    maxHeaderBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024)
      // uWS v20.30 closes a connection whose head is over 4 KiB when it arrives in more than one read
      // (a compile-time limit of that build), so a default above 4 KiB would make acceptance depend
      // on TCP segmentation.
      .default(4096)
      .describe('largest request head (request line + headers) accepted on the data port; larger ones get 431'),
    publicScheme: z.enum(['http', 'https']).default('http').describe('scheme agents use to reach the data port (for X-Forwarded-Proto and rewritten upload URLs)'),
  })
  .strict();

export type ListenConfig = z.infer<typeof listenSchema>;
