/** The recording sink (core/exchange.ts ExchangeSink) for `tapegate serve`. */
export { createRecorder, Recorder, type RecorderOptions } from './recorder.js';
