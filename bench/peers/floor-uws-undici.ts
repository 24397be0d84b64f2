/**
 * The floor for any uWS + undici gateway (tapegate's own stack): the thinnest forwarder we can write
 * with uWebSockets.js in front and undici behind, so what it reaches is the most tapegate could reach
 * without replacing undici. The agent side is bench/peers/floor-uws.ts, the upstream side
 * bench/peers/floor-undici-exchange.ts.
 *
 * Run as a child: `node dist/bench/peers/floor-uws-undici.js <upstreamPort> [clients|pool]`; prints
 * `READY {"port":N}` and exits when stdin closes. `clients` (default): our own free list of undici
 * Clients, one request at a time each; `pool`: one undici Pool (what tapegate uses), which measured
 * about 8% more CPU per request here (1 KB GET, 50 connections, undici 7.30: 24 vs 22 µs) because
 * Pool scans its clients for a free one and emits events per request. Kept to re-check on a new undici.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { UndiciExchange, UndiciUpstream } from './floor-undici-exchange.js';
import { runFloorMain } from './floor-uws.js';

const upstream = new UndiciUpstream(`http://127.0.0.1:${Number(process.argv[2])}`, process.argv[3] === 'pool' ? 'pool' : 'clients');
runFloorMain((res: HttpResponse) => new UndiciExchange(res, upstream));
