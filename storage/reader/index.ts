/** Reading and verifying segments (replay, audits, the uploader's checks). */
export { SegmentReader, verifySegment, verifyChain, publicKeyFromPem, type ReadOptions, type ReadEvent, type SegmentReport, type ChainReport, type KeyLookup } from './reader.js';
export type { Damage, DamageReason } from './scanner.js';
export { indexLines } from './index-lines.js';
export type { DecodedRecord } from '../segment/records.js';
export type { SegmentHeaderInfo, SegmentTrailerInfo } from '../segment/format.js';
