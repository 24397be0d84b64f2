import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of the data plane, served as text on the admin port (prom-client). The hot
 * path only bumps plain numbers in per-(connection, status) slots; they are handed to prom-client
 * at scrape time through its `collect` hooks, so a request costs no label hashing except the one
 * histogram observation.
 */
interface Slot {
  labels: { connection: string; status: string };
  requests: number;
  reported: number;
  duration: Histogram.Internal<'connection' | 'status'>;
}

interface ConnectionSlot {
  inFlight: number;
  requestBytes: number;
  responseBytes: number;
  reportedRequestBytes: number;
  reportedResponseBytes: number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly slots = new Map<string, Slot>();
  private readonly connections = new Map<string, ConnectionSlot>();
  private readonly outcomeCounts = new Map<string, { connection: string; outcome: string; n: number; reported: number }>();
  private readonly duration: Histogram<'connection' | 'status'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const self = this;
    new Counter({
      name: 'tapegate_requests_total',
      help: 'Exchanges answered, by connection and HTTP status (0: the agent went away first)',
      labelNames: ['connection', 'status'],
      registers,
      collect() {
        for (const s of self.slots.values()) {
          if (s.requests > s.reported) this.inc(s.labels, s.requests - s.reported);
          s.reported = s.requests;
        }
      },
    });
    this.duration = new Histogram({
      name: 'tapegate_request_duration_seconds',
      help: 'Time from request head to the last response byte, by connection and status',
      labelNames: ['connection', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    new Counter({
      name: 'tapegate_request_body_bytes_total',
      help: 'Request body bytes received from agents',
      labelNames: ['connection'],
      registers,
      collect() {
        for (const [connection, c] of self.connections) {
          if (c.requestBytes > c.reportedRequestBytes) this.inc({ connection }, c.requestBytes - c.reportedRequestBytes);
          c.reportedRequestBytes = c.requestBytes;
        }
      },
    });
    new Counter({
      name: 'tapegate_response_body_bytes_total',
      help: 'Response body bytes received from upstreams',
      labelNames: ['connection'],
      registers,
      collect() {
        for (const [connection, c] of self.connections) {
          if (c.responseBytes > c.reportedResponseBytes) this.inc({ connection }, c.responseBytes - c.reportedResponseBytes);
          c.reportedResponseBytes = c.responseBytes;
        }
      },
    });
    new Gauge({
      name: 'tapegate_in_flight_requests',
      help: 'Exchanges in progress',
      labelNames: ['connection'],
      registers,
      collect() {
        for (const [connection, c] of self.connections) this.set({ connection }, c.inFlight);
      },
    });
    new Counter({
      name: 'tapegate_exchange_outcomes_total',
      help: 'Exchanges that did not complete normally, by recorded outcome',
      labelNames: ['connection', 'outcome'],
      registers,
      collect() {
        for (const o of self.outcomeCounts.values()) {
          if (o.n > o.reported) this.inc({ connection: o.connection, outcome: o.outcome }, o.n - o.reported);
          o.reported = o.n;
        }
      },
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'tapegate_' });
  }

  private connection(name: string): ConnectionSlot {
    let c = this.connections.get(name);
    if (c === undefined) {
      c = { inFlight: 0, requestBytes: 0, responseBytes: 0, reportedRequestBytes: 0, reportedResponseBytes: 0 };
      this.connections.set(name, c);
    }
    return c;
  }

  started(connection: string): void {
    this.connection(connection).inFlight++;
  }

  finished(connection: string, status: number, outcome: string, seconds: number, requestBytes: number, responseBytes: number): void {
    const key = `${connection}\u0000${status}`;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      const labels = { connection, status: String(status) };
      slot = { labels, requests: 0, reported: 0, duration: this.duration.labels(labels) };
      this.slots.set(key, slot);
    }
    slot.requests++;
    slot.duration.observe(seconds);
    const c = this.connection(connection);
    c.inFlight--;
    c.requestBytes += requestBytes;
    c.responseBytes += responseBytes;
    if (outcome !== 'completed') {
      const okey = `${connection}\u0000${outcome}`;
      let o = this.outcomeCounts.get(okey);
      if (o === undefined) {
        o = { connection, outcome, n: 0, reported: 0 };
        this.outcomeCounts.set(okey, o);
      }
      o.n++;
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
