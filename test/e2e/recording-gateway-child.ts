/**
 * A gateway process for the recording e2e test: the uWS data plane with the real recorder (sync
 * durability) in front of the given upstream. Prints "port N" when listening; the test SIGKILLs it.
 */
import { parseConfig } from '../../core/config/index.js';
import { PassThroughGate } from '../../core/gate/pass-through.js';
import { createDataPlane } from '../../core/server/app.js';
import { createRecorder } from '../../storage/recorder/recorder.js';

const [dataDir, upstream] = process.argv.slice(2) as [string, string];
const config = parseConfig({
  instanceId: 'e2e-gw',
  dataDir,
  listen: { host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0 },
  connections: [{ name: 'storage', match: { pathPrefixes: ['/'] }, upstream, recording: 'full' }],
  recording: { durability: 'sync' },
});
const sink = await createRecorder({ recording: config.recording, instanceId: config.instanceId, dataDir });
const plane = createDataPlane({ config, sink, gate: new PassThroughGate() });
const port = await plane.listen('127.0.0.1', 0);
process.stdout.write(`port ${port}\n`);
setTimeout(() => process.exit(3), 60_000).unref();
