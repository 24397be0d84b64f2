/**
 * The recording floor: floor-uws-undici (same uWS route, same undici dispatch on a free list of
 * keep-alive Clients) plus the cheapest recorder that loses nothing (floor-recorder.ts). What it
 * costs over floor-uws-undici is the least that recording every byte can cost on this stack.
 *
 * Recorded per exchange: method, target, every request header as received (hop-by-hop ones too),
 * the request body, the upstream's status and raw headers, the response body, the outcome.
 * `sync`: the response's last bytes (the last body chunk, or the end of a chunked or bodyless
 * response) go to the agent only after an fdatasync that covers the whole exchange.
 *
 * Run as a child: `node dist/bench/peers/floor-rec-undici.js <upstreamPort> <async|sync> [dir]`;
 * prints `READY {"port":N,"file":"…"}`; records into dir/recording.zst (dir kept), or into a temp
 * dir removed on exit; exits (after draining the recording) when stdin closes or on SIGTERM.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { UndiciExchange, UndiciUpstream } from './floor-undici-exchange.js';
import { runFloorMain } from './floor-uws.js';
import { FloorRecorder, OUTCOME_AGENT_GONE, OUTCOME_COMPLETE, OUTCOME_UPSTREAM_FAILED, type Durability, type Durable } from './floor-recorder.js';

const upstream = new UndiciUpstream(`http://127.0.0.1:${Number(process.argv[2])}`, 'clients');
const durability: Durability = process.argv[3] === 'sync' ? 'sync' : 'async';
const recorder = new FloorRecorder(durability, process.argv[4]);
const sync = durability === 'sync';

class RecordingExchange extends UndiciExchange implements Durable {
  private readonly id = recorder.newExchangeId();
  /** The end record is written: nothing more is recorded. */
  private recordEnded = false;
  /** sync: the latest response chunk, held until the next one or until durable (it may be the last). */
  private held: Buffer | null = null;
  private failure: Error | null = null;

  /** Throws when the recorder cannot take the exchange: the route answers 503, nothing is proxied. */
  override start(method: string, target: string, headers: string[], bodyLength: number, received: string[] | null): void {
    recorder.requestHead(this.id, method, target, received!);
    super.start(method, target, headers, bodyLength, received);
  }

  override onAgentData(chunk: Buffer, isLast: boolean): void {
    if (!this.recordEnded) recorder.requestBody(this.id, chunk);
    super.onAgentData(chunk, isLast);
  }

  override agentAborted(): void {
    super.agentAborted();
    this.recordEnd(OUTCOME_AGENT_GONE);
  }

  override onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    recorder.responseHead(this.id, statusCode, rawHeaders);
    return super.onHeaders(statusCode, rawHeaders, resume, statusText);
  }

  override onData(chunk: Buffer): boolean {
    recorder.responseBody(this.id, chunk);
    if (!sync) return super.onData(chunk);
    const previous = this.held;
    this.held = chunk;
    return previous === null ? true : super.onData(previous);
  }

  override onComplete(): void {
    this.release();
    const seq = this.recordEnd(OUTCOME_COMPLETE);
    if (sync && seq !== null) recorder.whenDurable(seq, this);
    else this.finish();
  }

  override onError(err: Error): void {
    this.release();
    this.failure = err;
    const seq = this.recordEnd(OUTCOME_UPSTREAM_FAILED);
    if (sync && seq !== null) recorder.whenDurable(seq, this);
    else this.finish();
  }

  /** sync: the whole exchange is on disk. */
  durable(): void {
    this.finish();
  }

  /** The response's end (sync: once durable). */
  private finish(): void {
    if (this.failure !== null) {
      this.respondError(this.failure);
      return;
    }
    const held = this.held;
    if (held !== null) {
      this.held = null;
      this.respondData(held);
    }
    this.respondEnd();
  }

  private recordEnd(outcome: number): number | null {
    if (this.recordEnded) return null;
    this.recordEnded = true;
    return recorder.end(this.id, outcome);
  }
}

runFloorMain((res: HttpResponse) => new RecordingExchange(res, upstream), {
  keepReceivedHeaders: true,
  ready: { file: recorder.file },
  onExit: () => recorder.close(),
});
