import { parseArgs } from 'node:util';
import { createAdminServer } from './admin/server.js';
import { ConfigError, loadConfig, type Config, type ConfigOverrides } from './config/index.js';
import { createRecorder } from '../storage/recorder/index.js';
import { createUploader } from '../storage/uploader/index.js';
import { createAuthenticator } from './auth/index.js';
import { TapegateError } from './errors.js';
import { assembleGate } from './gatekeeper.js';
import { log } from './log.js';
import { Metrics } from './metrics.js';

/**
 * `tapegate serve`: the composition root. Start order: the uploader (it checks the bucket's retention
 * lock — a definite failure refuses the start, while GCS being unreachable or answering 5xx/429 only
 * defers the check: segments wait in the spool until a retry passes — and queues what an earlier run
 * left in the spool), the recorder (it recovers an unsealed
 * segment), identity and policy, then the data plane and the admin port. On SIGTERM (or SIGINT) it
 * drains: stop accepting, let in-flight exchanges finish up to drainTimeoutMs, seal the last segment,
 * give the uploader the rest of the deadline to flush (what is left stays in the spool), exit 0.
 */
const USAGE = `usage: tapegate serve [--config FILE] [--port N] [--admin-port N] [--data-dir DIR] [--allow-unlocked-bucket]

  --config FILE     JSON config (default deploy/tapegate.json)
  --port N          data port (overrides listen.port; 0 picks a free port)
  --admin-port N    admin port (overrides listen.adminPort; 0 picks a free port)
  --data-dir DIR    working data directory (overrides dataDir)
  --allow-unlocked-bucket
                    development only: start even if the gcs store's bucket has no locked
                    retention policy (logs a warning on every start)
`;

function portFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new ConfigError(`--${name}: expected a port number 0-65535, got "${value}"`);
  return Number(value);
}

export async function run(argv: string[]): Promise<number> {
  let values: { config?: string; port?: string; 'admin-port'?: string; 'data-dir'?: string; 'allow-unlocked-bucket'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, port: { type: 'string' }, 'admin-port': { type: 'string' }, 'data-dir': { type: 'string' }, 'allow-unlocked-bucket': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`tapegate serve: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let config: Config;
  try {
    const overrides: ConfigOverrides = {};
    const port = portFlag('port', values.port);
    const adminPort = portFlag('admin-port', values['admin-port']);
    if (port !== undefined) overrides.port = port;
    if (adminPort !== undefined) overrides.adminPort = adminPort;
    if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
    config = loadConfig(values.config ?? 'deploy/tapegate.json', overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tapegate serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const { createDataPlane } = await import('./server/app.js');

  const metrics = new Metrics({ defaultMetrics: true });
  const uploader = createUploader(config, { registry: metrics.registry, allowUnlockedBucket: values['allow-unlocked-bucket'] === true });
  let recorder: Awaited<ReturnType<typeof createRecorder>>;
  let auth: Awaited<ReturnType<typeof createAuthenticator>>;
  try {
    await uploader.start();
    recorder = await createRecorder({ recording: config.recording, instanceId: config.instanceId, dataDir: config.dataDir, spoolGauge: uploader, sealedListener: uploader });
  } catch (err) {
    await uploader.stop({ flushTimeoutMs: 0 });
    process.stderr.write(`tapegate serve: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    auth = await createAuthenticator(config.auth, { dataDir: config.dataDir, listenHosts: [config.listen.host, config.listen.adminHost] });
  } catch (err) {
    await recorder.close();
    await uploader.stop({ flushTimeoutMs: 0 });
    process.stderr.write(`tapegate serve: ${(err as Error).message}\n`);
    return err instanceof TapegateError || err instanceof ConfigError ? 2 : 1;
  }
  const gate = assembleGate(config, auth);
  const sink = recorder;
  const plane = createDataPlane({ config, sink, gate: gate.gate, metrics });
  const admin = createAdminServer({
    metrics,
    routes: [...auth.adminRoutes(), ...gate.adminRoutes],
    notReadyReason: () =>
      // the spool first: the recorder is unhealthy then too, and the spool is the reason to report
      plane.draining ? 'draining' : uploader.overLimit() ? 'the spool is over its limit until uploads catch up' : !sink.healthy ? 'the recorder is not accepting exchanges' : null,
  });
  let port: number;
  let adminPort: number;
  try {
    port = await plane.listen(config.listen.host, config.listen.port);
    adminPort = await admin.listen(config.listen.adminHost, config.listen.adminPort);
  } catch (err) {
    process.stderr.write(`tapegate serve: ${(err as Error).message}\n`);
    await plane.close();
    await admin.close();
    gate.close();
    auth.close();
    await recorder.close();
    await uploader.stop({ flushTimeoutMs: 0 });
    return 1;
  }
  log.info({ event: 'listening', host: config.listen.host, port, adminHost: config.listen.adminHost, adminPort, connections: config.connections.map((c) => c.name) }, 'tapegate serving');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ event: 'draining', signal, inFlight: plane.inFlight, deadlineMs: config.drainTimeoutMs }, 'draining');
      void (async () => {
        const clean = await plane.drain(config.drainTimeoutMs);
        if (!clean) log.warn({ event: 'drain_deadline', inFlight: plane.inFlight }, 'drain deadline reached; remaining exchanges were cut');
        const deadline = Date.now() + config.drainTimeoutMs;
        await sink.close().catch((err: Error) => log.error({ event: 'seal_failed', err: err.message }, 'sealing the last segment failed; it is recovered at next start'));
        await uploader.stop({ flushTimeoutMs: Math.max(0, deadline - Date.now()) });
        gate.close();
        auth.close();
        await admin.close();
        log.info({ event: 'stopped', clean }, 'stopped');
        resolve(0);
      })();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
