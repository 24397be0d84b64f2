/**
 * Child process for the crash-recovery test: records exchanges in `sync` mode as fast as it can and
 * prints each exchange id once onDurable confirmed it. The test SIGKILLs it mid-stream.
 */
import { nowNs } from '../../../core/clock.js';
import { createRecorder } from '../../../storage/recorder/recorder.js';
import { head, recordingConfig } from '../helpers.js';

const dataDir = process.argv[2]!;
const rec = await createRecorder({ recording: recordingConfig({ durability: 'sync' }), instanceId: 'crash', dataDir });
const body = Buffer.alloc(8 * 1024, 'x');
let inFlight = 0;
const deadline = Date.now() + 20_000;

function one(): void {
  inFlight++;
  const h = head();
  const r = rec.begin(h);
  if (!r) throw new Error('recorder refused an exchange');
  r.requestBody(body);
  r.responseHead({ status: 200, headers: [['content-type', 'text/plain']], upstreamConnectedNs: nowNs(), firstByteNs: nowNs() });
  r.responseBody(body);
  r.end({ outcome: 'completed', error: '', completedNs: nowNs(), requestBytes: body.length, responseBytes: body.length }, (err) => {
    inFlight--;
    if (err) throw err;
    process.stdout.write(`${h.exchangeId}\n`);
    if (Date.now() < deadline) one();
  });
}
process.stdout.write('ready\n');
for (let i = 0; i < 16; i++) one();
const stop = setTimeout(() => process.exit(3), 25_000);
stop.unref();
