import { z } from 'zod';

export const listenSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe('address the data port binds to'),
    port: z.number().int().min(0).max(65535).default(8080),
    adminHost: z.string().min(1).default('127.0.0.1').describe('address the admin port binds to'),
    adminPort: z.number().int().min(0).max(65535).default(9090),
  })
  .strict();

export type ListenConfig = z.infer<typeof listenSchema>;
