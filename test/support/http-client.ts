import http from 'node:http';
import net from 'node:net';

/** Small HTTP helpers for tests: one request with a fresh connection, and raw socket exchanges. */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** True when the response ended cleanly (not cut by a reset). */
  complete: boolean;
  error?: Error;
}

export function request(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        const a: Answer = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete && !error };
        if (error) a.error = error;
        resolve(a);
      };
      res.on('end', () => finish());
      res.on('error', (e) => finish(e));
      res.on('aborted', () => finish(new Error('aborted')));
    });
    const timer = setTimeout(() => req.destroy(new Error('test request timed out')), options.timeoutMs ?? 10_000);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(options.body);
  });
}

/** Sends raw bytes and collects what comes back until the server closes or `idleMs` passes quietly. */
export function rawExchange(port: number, data: string | Buffer, idleMs = 300): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    let timer: NodeJS.Timeout;
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(done, idleMs);
    };
    s.on('connect', () => {
      s.write(data);
      arm();
    });
    s.on('data', (d) => {
      out += d.toString('latin1');
      arm();
    });
    s.on('close', done);
    s.on('error', done);
  });
}

export function json(a: Answer): any {
  return JSON.parse(a.body.toString('utf8'));
}
