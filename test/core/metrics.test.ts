import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS, Metrics } from '../../core/metrics.js';

const HELP = 'Time from request head to the last response byte, by connection and status';

/** The lines of one metric family in a text exposition. */
function family(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}_`) || l.startsWith(`${name}{`) || l.endsWith(` ${name} ${HELP}`) || l === `# TYPE ${name} histogram`);
}

describe('data-plane metrics', () => {
  // (connection, status, seconds): bucket edges, values past the last bucket, several label sets.
  const observations: Array<[string, number, number]> = [
    ['storage', 200, 0.0004],
    ['storage', 200, 0.0005],
    ['storage', 200, 0.0123],
    ['-', 404, 0.002],
    ['storage', 503, 61],
    ['bigquery', 200, 1],
    ['storage', 200, 0.75],
  ];

  it('exposes request durations exactly as a prom-client Histogram observing the same values', async () => {
    const metrics = new Metrics();
    const reference = new Registry();
    const h = new Histogram({ name: 'tapegate_request_duration_seconds', help: HELP, labelNames: ['connection', 'status'], buckets: [...DURATION_BUCKETS], registers: [reference] });
    for (const [connection, status, seconds] of observations) {
      metrics.started(connection);
      metrics.finished(connection, status, 'completed', seconds, 0, 0);
      h.observe({ connection, status: String(status) }, seconds);
    }
    const ours = family(await metrics.text(), 'tapegate_request_duration_seconds');
    const theirs = family(await reference.metrics(), 'tapegate_request_duration_seconds');
    assert.ok(theirs.length > 4 * (DURATION_BUCKETS.length + 3), 'reference exposition has every label set');
    assert.deepEqual(ours, theirs);
    const json = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'tapegate_request_duration_seconds');
    const refJson = (await reference.getMetricsAsJSON())[0];
    assert.deepEqual(JSON.parse(JSON.stringify(json)), JSON.parse(JSON.stringify(refJson)));
  });

  it('counts requests, bytes, outcomes and in-flight exchanges per connection', async () => {
    const metrics = new Metrics();
    metrics.started('storage');
    metrics.started('storage');
    metrics.finished('storage', 200, 'completed', 0.001, 10, 1024);
    metrics.started('storage');
    metrics.finished('storage', 0, 'client_aborted', 0.002, 5, 0);
    metrics.finished('storage', 200, 'completed', 0.003, 0, 2048);
    const text = await metrics.text();
    assert.match(text, /^tapegate_requests_total\{connection="storage",status="200"\} 2$/m);
    assert.match(text, /^tapegate_requests_total\{connection="storage",status="0"\} 1$/m);
    assert.match(text, /^tapegate_request_body_bytes_total\{connection="storage"\} 15$/m);
    assert.match(text, /^tapegate_response_body_bytes_total\{connection="storage"\} 3072$/m);
    assert.match(text, /^tapegate_exchange_outcomes_total\{connection="storage",outcome="client_aborted"\} 1$/m);
    assert.match(text, /^tapegate_in_flight_requests\{connection="storage"\} 0$/m);
    // A second scrape reports the same totals (deltas are handed over once).
    metrics.finished('storage', 200, 'completed', 0.001, 0, 0);
    const again = await metrics.text();
    assert.match(again, /^tapegate_requests_total\{connection="storage",status="200"\} 3$/m);
    assert.match(again, /^tapegate_request_duration_seconds_count\{connection="storage",status="200"\} 3$/m);
  });
});
