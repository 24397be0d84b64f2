import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of the data plane, served as text on the admin port (prom-client). The hot
 * path only bumps plain numbers in per-(connection, status) slots found without building a string
 * key (a Map by connection name, whose hash V8 caches on the config string, then one by numeric
 * status); prom-client reads them at scrape time through its `collect` hooks and through
 * DurationHistogram, so a request costs no label hashing, no label validation and no allocation.
 */

/** Buckets of tapegate_request_duration_seconds. */
export const DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Slot {
  labels: { connection: string; status: string };
  requests: number;
  reported: number;
  /** Observations per bucket (not cumulative); the last one is +Inf only. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

interface ConnectionSlot {
  inFlight: number;
  requestBytes: number;
  responseBytes: number;
  reportedRequestBytes: number;
  reportedResponseBytes: number;
  byStatus: Map<number, Slot>;
  byOutcome: Map<string, OutcomeCount>;
}

interface OutcomeCount {
  connection: string;
  outcome: string;
  n: number;
  reported: number;
}

interface HistogramValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

/**
 * tapegate_request_duration_seconds, counted in our slots and exposed exactly as a prom-client
 * Histogram with labelNames ['connection', 'status'] exposes the same observations (same value
 * layout from getForPromString/get, hence the same text; test/core/metrics.test.ts compares both).
 * prom-client's own observe() validates and hashes the labels on every call.
 */
class DurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly slots: readonly Slot[],
  ) {}

  getForPromString(): { name: string; help: string; type: string; values: HistogramValue[]; aggregator: string } {
    const values: HistogramValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const s of this.slots) {
      if (s.count === 0) continue; // a status answered but not yet observed (reset)
      let acc = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        acc += s.buckets[i]!;
        values.push({ labels: { le: DURATION_BUCKETS[i]! }, sharedLabels: s.labels, value: acc, metricName: bucketName, exemplar: null });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucketName, exemplar: null });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The JSON form (registry.getMetricsAsJSON): shared labels folded into each value's labels. */
  get(): { name: string; help: string; type: string; values: Array<Omit<HistogramValue, 'sharedLabels'>>; aggregator: string } {
    const data = this.getForPromString();
    const values = data.values.map(({ labels, sharedLabels, value, metricName, exemplar }) => ({ value, metricName, exemplar, labels: { ...labels, ...sharedLabels } }));
    return { ...data, values };
  }

  reset(): void {
    for (const s of this.slots) {
      s.buckets.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

export class Metrics {
  readonly registry = new Registry();
  /** Every (connection, status) slot, in order of first use (the exposition order). */
  private readonly slots: Slot[] = [];
  private readonly connections = new Map<string, ConnectionSlot>();
  /** Every outcome count, in order of first use. */
  private readonly outcomeCounts: OutcomeCount[] = [];

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const self = this;
    new Counter({
      name: 'tapegate_requests_total',
      help: 'Exchanges answered, by connection and HTTP status (0: the agent went away first)',
      labelNames: ['connection', 'status'],
      registers,
      collect() {
        for (const s of self.slots) {
          if (s.requests > s.reported) this.inc(s.labels, s.requests - s.reported);
          s.reported = s.requests;
        }
      },
    });
    this.registry.registerMetric(
      new DurationHistogram('tapegate_request_duration_seconds', 'Time from request head to the last response byte, by connection and status', this.slots) as never,
    );
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
        for (const o of self.outcomeCounts) {
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
      c = { inFlight: 0, requestBytes: 0, responseBytes: 0, reportedRequestBytes: 0, reportedResponseBytes: 0, byStatus: new Map(), byOutcome: new Map() };
      this.connections.set(name, c);
    }
    return c;
  }

  started(connection: string): void {
    this.connection(connection).inFlight++;
  }

  finished(connection: string, status: number, outcome: string, seconds: number, requestBytes: number, responseBytes: number): void {
    const c = this.connection(connection);
    let slot = c.byStatus.get(status);
    if (slot === undefined) {
      slot = { labels: { connection, status: String(status) }, requests: 0, reported: 0, buckets: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0, count: 0 };
      c.byStatus.set(status, slot);
      this.slots.push(slot);
    }
    slot.requests++;
    observe(slot, seconds);
    c.inFlight--;
    c.requestBytes += requestBytes;
    c.responseBytes += responseBytes;
    if (outcome !== 'completed') {
      let o = c.byOutcome.get(outcome);
      if (o === undefined) {
        o = { connection, outcome, n: 0, reported: 0 };
        c.byOutcome.set(outcome, o);
        this.outcomeCounts.push(o);
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

function observe(slot: Slot, seconds: number): void {
  if (!Number.isFinite(seconds)) return;
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
  slot.buckets[i]!++;
  slot.sum += seconds;
  slot.count++;
}
