/**
 * A local upstream that answers like the Cloud Storage JSON API, on uWebSockets.js so it is never the
 * bottleneck: object metadata (1 KiB JSON), object lists, media downloads of any size (streamed with
 * backpressure from a pattern buffer) and media inserts (the body is counted, not kept).
 *
 * Run as a child (`node dist/bench/upstream.js`), it prints `READY {"port":N}` and exits when its
 * stdin closes, so a crashed benchmark never leaves it behind.
 */
import { pathToFileURL } from 'node:url';
import uWS from 'uWebSockets.js';
import { PATTERN_BYTES, jsonLines, objectListJson, objectMetadataJson } from './data.js';

export interface Upstream {
  port: number;
  close(): void;
}

const CHUNK = 256 * 1024;

export function startUpstream(port = 0, host = '127.0.0.1'): Promise<Upstream> {
  const metadata = objectMetadataJson('bench/object-1kb.json');
  const list = objectListJson(10);
  const pattern = jsonLines(PATTERN_BYTES, 7);
  const notFound = Buffer.from('{"error":{"code":404,"message":"No such object.","status":"NOT_FOUND"}}');

  const app = uWS.App();
  app.get('/storage/v1/b/:bucket/o', (res) => {
    res.writeStatus('200 OK').writeHeader('content-type', 'application/json; charset=UTF-8').end(list);
  });
  app.get('/storage/v1/b/:bucket/o/:object', (res) => {
    res.writeStatus('200 OK').writeHeader('content-type', 'application/json; charset=UTF-8').end(metadata);
  });
  app.get('/download/storage/v1/b/:bucket/o/:object', (res, req) => {
    const total = Number(req.getQuery('size') || '1024');
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    // tryEnd never buffers what it could not write: resume from getWriteOffset() when writable.
    const pump = (): boolean => {
      while (!aborted) {
        const off = res.getWriteOffset();
        const p = off % PATTERN_BYTES;
        const len = Math.min(CHUNK, PATTERN_BYTES - p, total - off);
        const [ok, done] = res.tryEnd(pattern.subarray(p, p + len), total);
        if (done) return true;
        if (!ok) return false;
      }
      return true;
    };
    res.onWritable(() => pump());
    res.writeStatus('200 OK').writeHeader('content-type', 'application/octet-stream');
    if (total === 0) res.end();
    else pump();
  });
  app.post('/upload/storage/v1/b/:bucket/o', (res, req) => {
    const name = req.getQuery('name') || 'unnamed';
    let bytes = 0;
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    res.onData((chunk, isLast) => {
      bytes += chunk.byteLength;
      if (isLast && !aborted) {
        const body = objectMetadataJson(name, 1024, bytes);
        res.cork(() => {
          res.writeStatus('200 OK').writeHeader('content-type', 'application/json; charset=UTF-8').end(body);
        });
      }
    });
  });
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').writeHeader('content-type', 'application/json; charset=UTF-8').end(notFound);
  });

  return new Promise((resolve, reject) => {
    app.listen(host, port, (listenSocket) => {
      if (!listenSocket) {
        reject(new Error(`bench upstream: cannot listen on ${host}:${port}`));
        return;
      }
      resolve({
        port: uWS.us_socket_local_port(listenSocket),
        close: () => {
          uWS.us_listen_socket_close(listenSocket);
        },
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.argv[2] ?? '0');
  startUpstream(port).then(
    (up) => {
      process.stdout.write(`READY ${JSON.stringify({ port: up.port })}\n`);
      process.stdin.on('end', () => process.exit(0));
      process.stdin.resume();
      process.on('SIGTERM', () => process.exit(0));
    },
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
