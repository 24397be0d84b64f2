/**
 * Peer: the `http-proxy` package on node:http, with a keep-alive agent upstream — what a Node team
 * would write in an afternoon. Run as a child: `node dist/bench/peers/http-proxy.js <upstreamPort>`;
 * prints `READY {"port":N}` and exits when stdin closes.
 */
import http from 'node:http';
import httpProxy from 'http-proxy';

const upstreamPort = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstreamPort}`, agent, xfwd: true });
proxy.on('error', (err, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 502, message: err.message, status: 'UNAVAILABLE' } }));
  } else {
    res.destroy();
  }
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`READY ${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
