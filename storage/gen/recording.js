/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const tapegate = $root.tapegate = (() => {

    /**
     * Namespace tapegate.
     * @exports tapegate
     * @namespace
     */
    const tapegate = {};

    tapegate.recording = (function() {

        /**
         * Namespace recording.
         * @memberof tapegate
         * @namespace
         */
        const recording = {};

        recording.v1 = (function() {

            /**
             * Namespace v1.
             * @memberof tapegate.recording
             * @namespace
             */
            const v1 = {};

            v1.SegmentHeader = (function() {

                /**
                 * Properties of a SegmentHeader.
                 * @typedef {Object} tapegate.recording.v1.SegmentHeader.$Properties
                 * @property {string|null} [instanceId] SegmentHeader instanceId
                 * @property {number|Long|null} [seq] SegmentHeader seq
                 * @property {number|Long|null} [createdAtNs] SegmentHeader createdAtNs
                 * @property {Uint8Array|null} [prevSha256] SegmentHeader prevSha256
                 * @property {string|null} [keyId] SegmentHeader keyId
                 * @property {number|null} [zstdLevel] SegmentHeader zstdLevel
                 * @property {string|null} [durability] SegmentHeader durability
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a SegmentHeader.
                 * @memberof tapegate.recording.v1
                 * @interface ISegmentHeader
                 * @augments tapegate.recording.v1.SegmentHeader.$Properties
                 * @deprecated Use tapegate.recording.v1.SegmentHeader.$Properties instead.
                 */

                /**
                 * Shape of a SegmentHeader.
                 * @typedef {tapegate.recording.v1.SegmentHeader.$Properties} tapegate.recording.v1.SegmentHeader.$Shape
                 */

                /**
                 * Constructs a new SegmentHeader.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents a SegmentHeader.
                 * @constructor
                 * @param {tapegate.recording.v1.SegmentHeader.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const SegmentHeader = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * SegmentHeader instanceId.
                 * @member {string} instanceId
                 * @memberof tapegate.recording.v1.SegmentHeader
                 * @instance
                 */
                SegmentHeader.prototype.instanceId = "";

                /**
                 * SegmentHeader seq.
                 * @member {number|Long} seq
                 * @memberof tapegate.recording.v1.SegmentHeader
                 * @instance
                 */
                SegmentHeader.prototype.seq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * SegmentHeader createdAtNs.
                 * @member {number|Long} createdAtNs
                 * @memberof tapegate.recording.v1.SegmentHeader
                 * @instance
                 */
                SegmentHeader.prototype.createdAtNs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * SegmentHeader prevSha256.
                 * @member {Uint8Array} prevSha256
                 * @memberof tapegate.recording.v1.SegmentHeader
                 * @instance
                 */
                SegmentHeader.prototype.prevSha256 = $util.newBuffer([]);

                /**
                 * SegmentHeader keyId.
                 * @member {string} keyId
                 * @memberof tapegate.recording.v1.SegmentHeader
                 * @instance
                 */
                SegmentHeader.prototype.keyId = "";

                /**
                 * SegmentHeader zstdLevel.
                 * @member {number} zstdLevel
                 * @memberof tapegate.recording.v1.SegmentHeader
                 * @instance
                 */
                SegmentHeader.prototype.zstdLevel = 0;

                /**
                 * SegmentHeader durability.
                 * @member {string} durability
                 * @memberof tapegate.recording.v1.SegmentHeader
                 * @instance
                 */
                SegmentHeader.prototype.durability = "";

                /**
                 * Encodes the specified SegmentHeader message. Does not implicitly {@link tapegate.recording.v1.SegmentHeader.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.SegmentHeader
                 * @static
                 * @param {tapegate.recording.v1.SegmentHeader.$Properties} message SegmentHeader message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                SegmentHeader.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.instanceId != null && $Object.hasOwnProperty.call(message, "instanceId") && message.instanceId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.instanceId);
                    if (message.seq != null && $Object.hasOwnProperty.call(message, "seq") && (typeof message.seq === "object" ? message.seq.low || message.seq.high : message.seq !== 0))
                        writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.seq);
                    if (message.createdAtNs != null && $Object.hasOwnProperty.call(message, "createdAtNs") && (typeof message.createdAtNs === "object" ? message.createdAtNs.low || message.createdAtNs.high : message.createdAtNs !== 0))
                        writer.uint32(/* id 3, wireType 0 =*/24).int64(message.createdAtNs);
                    if (message.prevSha256 != null && $Object.hasOwnProperty.call(message, "prevSha256") && message.prevSha256.length)
                        writer.uint32(/* id 4, wireType 2 =*/34).bytes(message.prevSha256);
                    if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                        writer.uint32(/* id 5, wireType 2 =*/42).string(message.keyId);
                    if (message.zstdLevel != null && $Object.hasOwnProperty.call(message, "zstdLevel") && message.zstdLevel !== 0)
                        writer.uint32(/* id 6, wireType 0 =*/48).uint32(message.zstdLevel);
                    if (message.durability != null && $Object.hasOwnProperty.call(message, "durability") && message.durability !== "")
                        writer.uint32(/* id 7, wireType 2 =*/58).string(message.durability);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a SegmentHeader message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.SegmentHeader
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.SegmentHeader & tapegate.recording.v1.SegmentHeader.$Shape} SegmentHeader
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                SegmentHeader.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.SegmentHeader();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.instanceId = value;
                                else
                                    delete message.instanceId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.seq = value;
                                else
                                    delete message.seq;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.createdAtNs = value;
                                else
                                    delete message.createdAtNs;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.prevSha256 = value;
                                else
                                    delete message.prevSha256;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.keyId = value;
                                else
                                    delete message.keyId;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.zstdLevel = value;
                                else
                                    delete message.zstdLevel;
                                continue;
                            }
                        case 7: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.durability = value;
                                else
                                    delete message.durability;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return SegmentHeader;
            })();

            v1.SegmentTrailer = (function() {

                /**
                 * Properties of a SegmentTrailer.
                 * @typedef {Object} tapegate.recording.v1.SegmentTrailer.$Properties
                 * @property {number|Long|null} [recordCount] SegmentTrailer recordCount
                 * @property {number|Long|null} [frameCount] SegmentTrailer frameCount
                 * @property {string|null} [firstExchangeId] SegmentTrailer firstExchangeId
                 * @property {string|null} [lastExchangeId] SegmentTrailer lastExchangeId
                 * @property {number|Long|null} [firstNs] SegmentTrailer firstNs
                 * @property {number|Long|null} [lastNs] SegmentTrailer lastNs
                 * @property {Uint8Array|null} [sha256] SegmentTrailer sha256
                 * @property {boolean|null} [recovered] SegmentTrailer recovered
                 * @property {number|Long|null} [discardedBytes] SegmentTrailer discardedBytes
                 * @property {number|Long|null} [sealedAtNs] SegmentTrailer sealedAtNs
                 * @property {number|Long|null} [rawBytes] SegmentTrailer rawBytes
                 * @property {number|Long|null} [droppedRecords] SegmentTrailer droppedRecords
                 * @property {number|Long|null} [unwrittenBytes] SegmentTrailer unwrittenBytes
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a SegmentTrailer.
                 * @memberof tapegate.recording.v1
                 * @interface ISegmentTrailer
                 * @augments tapegate.recording.v1.SegmentTrailer.$Properties
                 * @deprecated Use tapegate.recording.v1.SegmentTrailer.$Properties instead.
                 */

                /**
                 * Shape of a SegmentTrailer.
                 * @typedef {tapegate.recording.v1.SegmentTrailer.$Properties} tapegate.recording.v1.SegmentTrailer.$Shape
                 */

                /**
                 * Constructs a new SegmentTrailer.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents a SegmentTrailer.
                 * @constructor
                 * @param {tapegate.recording.v1.SegmentTrailer.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const SegmentTrailer = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * SegmentTrailer recordCount.
                 * @member {number|Long} recordCount
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.recordCount = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * SegmentTrailer frameCount.
                 * @member {number|Long} frameCount
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.frameCount = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * SegmentTrailer firstExchangeId.
                 * @member {string} firstExchangeId
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.firstExchangeId = "";

                /**
                 * SegmentTrailer lastExchangeId.
                 * @member {string} lastExchangeId
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.lastExchangeId = "";

                /**
                 * SegmentTrailer firstNs.
                 * @member {number|Long} firstNs
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.firstNs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * SegmentTrailer lastNs.
                 * @member {number|Long} lastNs
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.lastNs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * SegmentTrailer sha256.
                 * @member {Uint8Array} sha256
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.sha256 = $util.newBuffer([]);

                /**
                 * SegmentTrailer recovered.
                 * @member {boolean} recovered
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.recovered = false;

                /**
                 * SegmentTrailer discardedBytes.
                 * @member {number|Long} discardedBytes
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.discardedBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * SegmentTrailer sealedAtNs.
                 * @member {number|Long} sealedAtNs
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.sealedAtNs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * SegmentTrailer rawBytes.
                 * @member {number|Long} rawBytes
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.rawBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * SegmentTrailer droppedRecords.
                 * @member {number|Long} droppedRecords
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.droppedRecords = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * SegmentTrailer unwrittenBytes.
                 * @member {number|Long} unwrittenBytes
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @instance
                 */
                SegmentTrailer.prototype.unwrittenBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Encodes the specified SegmentTrailer message. Does not implicitly {@link tapegate.recording.v1.SegmentTrailer.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @static
                 * @param {tapegate.recording.v1.SegmentTrailer.$Properties} message SegmentTrailer message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                SegmentTrailer.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.recordCount != null && $Object.hasOwnProperty.call(message, "recordCount") && (typeof message.recordCount === "object" ? message.recordCount.low || message.recordCount.high : message.recordCount !== 0))
                        writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.recordCount);
                    if (message.frameCount != null && $Object.hasOwnProperty.call(message, "frameCount") && (typeof message.frameCount === "object" ? message.frameCount.low || message.frameCount.high : message.frameCount !== 0))
                        writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.frameCount);
                    if (message.firstExchangeId != null && $Object.hasOwnProperty.call(message, "firstExchangeId") && message.firstExchangeId !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.firstExchangeId);
                    if (message.lastExchangeId != null && $Object.hasOwnProperty.call(message, "lastExchangeId") && message.lastExchangeId !== "")
                        writer.uint32(/* id 4, wireType 2 =*/34).string(message.lastExchangeId);
                    if (message.firstNs != null && $Object.hasOwnProperty.call(message, "firstNs") && (typeof message.firstNs === "object" ? message.firstNs.low || message.firstNs.high : message.firstNs !== 0))
                        writer.uint32(/* id 5, wireType 0 =*/40).int64(message.firstNs);
                    if (message.lastNs != null && $Object.hasOwnProperty.call(message, "lastNs") && (typeof message.lastNs === "object" ? message.lastNs.low || message.lastNs.high : message.lastNs !== 0))
                        writer.uint32(/* id 6, wireType 0 =*/48).int64(message.lastNs);
                    if (message.sha256 != null && $Object.hasOwnProperty.call(message, "sha256") && message.sha256.length)
                        writer.uint32(/* id 7, wireType 2 =*/58).bytes(message.sha256);
                    if (message.recovered != null && $Object.hasOwnProperty.call(message, "recovered") && message.recovered !== false)
                        writer.uint32(/* id 8, wireType 0 =*/64).bool(message.recovered);
                    if (message.discardedBytes != null && $Object.hasOwnProperty.call(message, "discardedBytes") && (typeof message.discardedBytes === "object" ? message.discardedBytes.low || message.discardedBytes.high : message.discardedBytes !== 0))
                        writer.uint32(/* id 9, wireType 0 =*/72).uint64(message.discardedBytes);
                    if (message.sealedAtNs != null && $Object.hasOwnProperty.call(message, "sealedAtNs") && (typeof message.sealedAtNs === "object" ? message.sealedAtNs.low || message.sealedAtNs.high : message.sealedAtNs !== 0))
                        writer.uint32(/* id 10, wireType 0 =*/80).int64(message.sealedAtNs);
                    if (message.rawBytes != null && $Object.hasOwnProperty.call(message, "rawBytes") && (typeof message.rawBytes === "object" ? message.rawBytes.low || message.rawBytes.high : message.rawBytes !== 0))
                        writer.uint32(/* id 11, wireType 0 =*/88).uint64(message.rawBytes);
                    if (message.droppedRecords != null && $Object.hasOwnProperty.call(message, "droppedRecords") && (typeof message.droppedRecords === "object" ? message.droppedRecords.low || message.droppedRecords.high : message.droppedRecords !== 0))
                        writer.uint32(/* id 12, wireType 0 =*/96).uint64(message.droppedRecords);
                    if (message.unwrittenBytes != null && $Object.hasOwnProperty.call(message, "unwrittenBytes") && (typeof message.unwrittenBytes === "object" ? message.unwrittenBytes.low || message.unwrittenBytes.high : message.unwrittenBytes !== 0))
                        writer.uint32(/* id 13, wireType 0 =*/104).uint64(message.unwrittenBytes);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a SegmentTrailer message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.SegmentTrailer
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.SegmentTrailer & tapegate.recording.v1.SegmentTrailer.$Shape} SegmentTrailer
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                SegmentTrailer.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.SegmentTrailer();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.recordCount = value;
                                else
                                    delete message.recordCount;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.frameCount = value;
                                else
                                    delete message.frameCount;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.firstExchangeId = value;
                                else
                                    delete message.firstExchangeId;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.lastExchangeId = value;
                                else
                                    delete message.lastExchangeId;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.firstNs = value;
                                else
                                    delete message.firstNs;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.lastNs = value;
                                else
                                    delete message.lastNs;
                                continue;
                            }
                        case 7: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.sha256 = value;
                                else
                                    delete message.sha256;
                                continue;
                            }
                        case 8: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.bool())
                                    message.recovered = value;
                                else
                                    delete message.recovered;
                                continue;
                            }
                        case 9: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.discardedBytes = value;
                                else
                                    delete message.discardedBytes;
                                continue;
                            }
                        case 10: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.sealedAtNs = value;
                                else
                                    delete message.sealedAtNs;
                                continue;
                            }
                        case 11: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.rawBytes = value;
                                else
                                    delete message.rawBytes;
                                continue;
                            }
                        case 12: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.droppedRecords = value;
                                else
                                    delete message.droppedRecords;
                                continue;
                            }
                        case 13: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.unwrittenBytes = value;
                                else
                                    delete message.unwrittenBytes;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return SegmentTrailer;
            })();

            v1.Record = (function() {

                /**
                 * Properties of a Record.
                 * @typedef {Object} tapegate.recording.v1.Record.$Properties
                 * @property {tapegate.recording.v1.ExchangeStart.$Properties|null} [start] Record start
                 * @property {tapegate.recording.v1.BodyChunk.$Properties|null} [body] Record body
                 * @property {tapegate.recording.v1.ResponseStart.$Properties|null} [response] Record response
                 * @property {tapegate.recording.v1.ExchangeEnd.$Properties|null} [end] Record end
                 * @property {tapegate.recording.v1.RecordingGap.$Properties|null} [gap] Record gap
                 * @property {"start"|"body"|"response"|"end"|"gap"} [kind] Record kind
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Record.
                 * @memberof tapegate.recording.v1
                 * @interface IRecord
                 * @augments tapegate.recording.v1.Record.$Properties
                 * @deprecated Use tapegate.recording.v1.Record.$Properties instead.
                 */

                /**
                 * Narrowed shape of a Record.
                 * @typedef {{
                 *   start?: tapegate.recording.v1.ExchangeStart.$Shape|null;
                 *   body?: tapegate.recording.v1.BodyChunk.$Shape|null;
                 *   response?: tapegate.recording.v1.ResponseStart.$Shape|null;
                 *   end?: tapegate.recording.v1.ExchangeEnd.$Shape|null;
                 *   gap?: tapegate.recording.v1.RecordingGap.$Shape|null;
                 *   $unknowns?: Array.<Uint8Array>;
                 * } & (
                 *   ({ kind?: undefined; start?: null; body?: null; response?: null; end?: null; gap?: null }|{ kind?: "start"; start: tapegate.recording.v1.ExchangeStart.$Shape; body?: null; response?: null; end?: null; gap?: null }|{ kind?: "body"; start?: null; body: tapegate.recording.v1.BodyChunk.$Shape; response?: null; end?: null; gap?: null }|{ kind?: "response"; start?: null; body?: null; response: tapegate.recording.v1.ResponseStart.$Shape; end?: null; gap?: null }|{ kind?: "end"; start?: null; body?: null; response?: null; end: tapegate.recording.v1.ExchangeEnd.$Shape; gap?: null }|{ kind?: "gap"; start?: null; body?: null; response?: null; end?: null; gap: tapegate.recording.v1.RecordingGap.$Shape })
                 * )} tapegate.recording.v1.Record.$Shape
                 */

                /**
                 * Constructs a new Record.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents a Record.
                 * @constructor
                 * @param {tapegate.recording.v1.Record.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Record = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Record start.
                 * @member {tapegate.recording.v1.ExchangeStart.$Properties|null|undefined} start
                 * @memberof tapegate.recording.v1.Record
                 * @instance
                 */
                Record.prototype.start = null;

                /**
                 * Record body.
                 * @member {tapegate.recording.v1.BodyChunk.$Properties|null|undefined} body
                 * @memberof tapegate.recording.v1.Record
                 * @instance
                 */
                Record.prototype.body = null;

                /**
                 * Record response.
                 * @member {tapegate.recording.v1.ResponseStart.$Properties|null|undefined} response
                 * @memberof tapegate.recording.v1.Record
                 * @instance
                 */
                Record.prototype.response = null;

                /**
                 * Record end.
                 * @member {tapegate.recording.v1.ExchangeEnd.$Properties|null|undefined} end
                 * @memberof tapegate.recording.v1.Record
                 * @instance
                 */
                Record.prototype.end = null;

                /**
                 * Record gap.
                 * @member {tapegate.recording.v1.RecordingGap.$Properties|null|undefined} gap
                 * @memberof tapegate.recording.v1.Record
                 * @instance
                 */
                Record.prototype.gap = null;

                // OneOf field names bound to virtual getters and setters
                let $oneOfFields;

                /**
                 * Record kind.
                 * @member {"start"|"body"|"response"|"end"|"gap"|undefined} kind
                 * @memberof tapegate.recording.v1.Record
                 * @instance
                 */
                $Object.defineProperty(Record.prototype, "kind", {
                    get: $util.oneOfGetter($oneOfFields = ["start", "body", "response", "end", "gap"]),
                    set: $util.oneOfSetter($oneOfFields)
                });

                /**
                 * Encodes the specified Record message. Does not implicitly {@link tapegate.recording.v1.Record.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.Record
                 * @static
                 * @param {tapegate.recording.v1.Record.$Properties} message Record message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Record.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.start != null && $Object.hasOwnProperty.call(message, "start"))
                        $root.tapegate.recording.v1.ExchangeStart.encode(message.start, writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
                    if (message.body != null && $Object.hasOwnProperty.call(message, "body"))
                        $root.tapegate.recording.v1.BodyChunk.encode(message.body, writer.uint32(/* id 2, wireType 2 =*/18).fork(), _depth + 1).ldelim();
                    if (message.response != null && $Object.hasOwnProperty.call(message, "response"))
                        $root.tapegate.recording.v1.ResponseStart.encode(message.response, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                    if (message.end != null && $Object.hasOwnProperty.call(message, "end"))
                        $root.tapegate.recording.v1.ExchangeEnd.encode(message.end, writer.uint32(/* id 4, wireType 2 =*/34).fork(), _depth + 1).ldelim();
                    if (message.gap != null && $Object.hasOwnProperty.call(message, "gap"))
                        $root.tapegate.recording.v1.RecordingGap.encode(message.gap, writer.uint32(/* id 5, wireType 2 =*/42).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Record message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.Record
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.Record & tapegate.recording.v1.Record.$Shape} Record
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Record.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.Record();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                message.start = $root.tapegate.recording.v1.ExchangeStart.decode(reader, reader.size(), $undefined, _depth + 1, message.start);
                                message.kind = "start";
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                message.body = $root.tapegate.recording.v1.BodyChunk.decode(reader, reader.size(), $undefined, _depth + 1, message.body);
                                message.kind = "body";
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                message.response = $root.tapegate.recording.v1.ResponseStart.decode(reader, reader.size(), $undefined, _depth + 1, message.response);
                                message.kind = "response";
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                message.end = $root.tapegate.recording.v1.ExchangeEnd.decode(reader, reader.size(), $undefined, _depth + 1, message.end);
                                message.kind = "end";
                                continue;
                            }
                        case 5: {
                                if (wireType !== 2)
                                    break;
                                message.gap = $root.tapegate.recording.v1.RecordingGap.decode(reader, reader.size(), $undefined, _depth + 1, message.gap);
                                message.kind = "gap";
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Record;
            })();

            v1.Header = (function() {

                /**
                 * Properties of a Header.
                 * @typedef {Object} tapegate.recording.v1.Header.$Properties
                 * @property {string|null} [name] Header name
                 * @property {string|null} [value] Header value
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Header.
                 * @memberof tapegate.recording.v1
                 * @interface IHeader
                 * @augments tapegate.recording.v1.Header.$Properties
                 * @deprecated Use tapegate.recording.v1.Header.$Properties instead.
                 */

                /**
                 * Shape of a Header.
                 * @typedef {tapegate.recording.v1.Header.$Properties} tapegate.recording.v1.Header.$Shape
                 */

                /**
                 * Constructs a new Header.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents a Header.
                 * @constructor
                 * @param {tapegate.recording.v1.Header.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Header = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Header name.
                 * @member {string} name
                 * @memberof tapegate.recording.v1.Header
                 * @instance
                 */
                Header.prototype.name = "";

                /**
                 * Header value.
                 * @member {string} value
                 * @memberof tapegate.recording.v1.Header
                 * @instance
                 */
                Header.prototype.value = "";

                /**
                 * Encodes the specified Header message. Does not implicitly {@link tapegate.recording.v1.Header.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.Header
                 * @static
                 * @param {tapegate.recording.v1.Header.$Properties} message Header message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Header.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.name);
                    if (message.value != null && $Object.hasOwnProperty.call(message, "value") && message.value !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.value);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Header message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.Header
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.Header & tapegate.recording.v1.Header.$Shape} Header
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Header.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.Header();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.name = value;
                                else
                                    delete message.name;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.value = value;
                                else
                                    delete message.value;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Header;
            })();

            v1.Identity = (function() {

                /**
                 * Properties of an Identity.
                 * @typedef {Object} tapegate.recording.v1.Identity.$Properties
                 * @property {string|null} [subject] Identity subject
                 * @property {string|null} [issuer] Identity issuer
                 * @property {Array.<string>|null} [groups] Identity groups
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of an Identity.
                 * @memberof tapegate.recording.v1
                 * @interface IIdentity
                 * @augments tapegate.recording.v1.Identity.$Properties
                 * @deprecated Use tapegate.recording.v1.Identity.$Properties instead.
                 */

                /**
                 * Shape of an Identity.
                 * @typedef {tapegate.recording.v1.Identity.$Properties} tapegate.recording.v1.Identity.$Shape
                 */

                /**
                 * Constructs a new Identity.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents an Identity.
                 * @constructor
                 * @param {tapegate.recording.v1.Identity.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Identity = function (properties) {
                    this.groups = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Identity subject.
                 * @member {string} subject
                 * @memberof tapegate.recording.v1.Identity
                 * @instance
                 */
                Identity.prototype.subject = "";

                /**
                 * Identity issuer.
                 * @member {string} issuer
                 * @memberof tapegate.recording.v1.Identity
                 * @instance
                 */
                Identity.prototype.issuer = "";

                /**
                 * Identity groups.
                 * @member {Array.<string>} groups
                 * @memberof tapegate.recording.v1.Identity
                 * @instance
                 */
                Identity.prototype.groups = $util.emptyArray;

                /**
                 * Encodes the specified Identity message. Does not implicitly {@link tapegate.recording.v1.Identity.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.Identity
                 * @static
                 * @param {tapegate.recording.v1.Identity.$Properties} message Identity message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Identity.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.subject != null && $Object.hasOwnProperty.call(message, "subject") && message.subject !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.subject);
                    if (message.issuer != null && $Object.hasOwnProperty.call(message, "issuer") && message.issuer !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.issuer);
                    if (message.groups != null && message.groups.length)
                        for (let i = 0; i < message.groups.length; ++i)
                            writer.uint32(/* id 3, wireType 2 =*/26).string(message.groups[i]);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes an Identity message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.Identity
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.Identity & tapegate.recording.v1.Identity.$Shape} Identity
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Identity.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.Identity();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.subject = value;
                                else
                                    delete message.subject;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.issuer = value;
                                else
                                    delete message.issuer;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.groups && message.groups.length))
                                    message.groups = [];
                                message.groups.push(reader.stringVerify());
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Identity;
            })();

            v1.Decision = (function() {

                /**
                 * Properties of a Decision.
                 * @typedef {Object} tapegate.recording.v1.Decision.$Properties
                 * @property {string|null} [action] Decision action
                 * @property {string|null} [rule] Decision rule
                 * @property {string|null} [reviewId] Decision reviewId
                 * @property {string|null} [reviewedBy] Decision reviewedBy
                 * @property {number|Long|null} [reviewedAtMs] Decision reviewedAtMs
                 * @property {string|null} [reviewReason] Decision reviewReason
                 * @property {string|null} [reason] Decision reason
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Decision.
                 * @memberof tapegate.recording.v1
                 * @interface IDecision
                 * @augments tapegate.recording.v1.Decision.$Properties
                 * @deprecated Use tapegate.recording.v1.Decision.$Properties instead.
                 */

                /**
                 * Shape of a Decision.
                 * @typedef {tapegate.recording.v1.Decision.$Properties} tapegate.recording.v1.Decision.$Shape
                 */

                /**
                 * Constructs a new Decision.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents a Decision.
                 * @constructor
                 * @param {tapegate.recording.v1.Decision.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Decision = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Decision action.
                 * @member {string} action
                 * @memberof tapegate.recording.v1.Decision
                 * @instance
                 */
                Decision.prototype.action = "";

                /**
                 * Decision rule.
                 * @member {string} rule
                 * @memberof tapegate.recording.v1.Decision
                 * @instance
                 */
                Decision.prototype.rule = "";

                /**
                 * Decision reviewId.
                 * @member {string} reviewId
                 * @memberof tapegate.recording.v1.Decision
                 * @instance
                 */
                Decision.prototype.reviewId = "";

                /**
                 * Decision reviewedBy.
                 * @member {string} reviewedBy
                 * @memberof tapegate.recording.v1.Decision
                 * @instance
                 */
                Decision.prototype.reviewedBy = "";

                /**
                 * Decision reviewedAtMs.
                 * @member {number|Long} reviewedAtMs
                 * @memberof tapegate.recording.v1.Decision
                 * @instance
                 */
                Decision.prototype.reviewedAtMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * Decision reviewReason.
                 * @member {string} reviewReason
                 * @memberof tapegate.recording.v1.Decision
                 * @instance
                 */
                Decision.prototype.reviewReason = "";

                /**
                 * Decision reason.
                 * @member {string} reason
                 * @memberof tapegate.recording.v1.Decision
                 * @instance
                 */
                Decision.prototype.reason = "";

                /**
                 * Encodes the specified Decision message. Does not implicitly {@link tapegate.recording.v1.Decision.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.Decision
                 * @static
                 * @param {tapegate.recording.v1.Decision.$Properties} message Decision message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Decision.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.action != null && $Object.hasOwnProperty.call(message, "action") && message.action !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.action);
                    if (message.rule != null && $Object.hasOwnProperty.call(message, "rule") && message.rule !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.rule);
                    if (message.reviewId != null && $Object.hasOwnProperty.call(message, "reviewId") && message.reviewId !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.reviewId);
                    if (message.reviewedBy != null && $Object.hasOwnProperty.call(message, "reviewedBy") && message.reviewedBy !== "")
                        writer.uint32(/* id 4, wireType 2 =*/34).string(message.reviewedBy);
                    if (message.reviewedAtMs != null && $Object.hasOwnProperty.call(message, "reviewedAtMs") && (typeof message.reviewedAtMs === "object" ? message.reviewedAtMs.low || message.reviewedAtMs.high : message.reviewedAtMs !== 0))
                        writer.uint32(/* id 5, wireType 0 =*/40).int64(message.reviewedAtMs);
                    if (message.reviewReason != null && $Object.hasOwnProperty.call(message, "reviewReason") && message.reviewReason !== "")
                        writer.uint32(/* id 6, wireType 2 =*/50).string(message.reviewReason);
                    if (message.reason != null && $Object.hasOwnProperty.call(message, "reason") && message.reason !== "")
                        writer.uint32(/* id 7, wireType 2 =*/58).string(message.reason);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Decision message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.Decision
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.Decision & tapegate.recording.v1.Decision.$Shape} Decision
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Decision.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.Decision();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.action = value;
                                else
                                    delete message.action;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.rule = value;
                                else
                                    delete message.rule;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.reviewId = value;
                                else
                                    delete message.reviewId;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.reviewedBy = value;
                                else
                                    delete message.reviewedBy;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.reviewedAtMs = value;
                                else
                                    delete message.reviewedAtMs;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.reviewReason = value;
                                else
                                    delete message.reviewReason;
                                continue;
                            }
                        case 7: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.reason = value;
                                else
                                    delete message.reason;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Decision;
            })();

            /**
             * RecordingMode enum.
             * @name tapegate.recording.v1.RecordingMode
             * @enum {number}
             * @property {number} RECORDING_MODE_UNSPECIFIED=0 RECORDING_MODE_UNSPECIFIED value
             * @property {number} FULL=1 FULL value
             * @property {number} METADATA=2 METADATA value
             * @property {number} OFF=3 OFF value
             */
            v1.RecordingMode = (function() {
                const valuesById = $Object.create(null), values = $Object.create(valuesById);
                values[valuesById[0] = "RECORDING_MODE_UNSPECIFIED"] = 0;
                values[valuesById[1] = "FULL"] = 1;
                values[valuesById[2] = "METADATA"] = 2;
                values[valuesById[3] = "OFF"] = 3;
                return values;
            })();

            v1.ExchangeStart = (function() {

                /**
                 * Properties of an ExchangeStart.
                 * @typedef {Object} tapegate.recording.v1.ExchangeStart.$Properties
                 * @property {string|null} [exchangeId] ExchangeStart exchangeId
                 * @property {string|null} [sessionId] ExchangeStart sessionId
                 * @property {string|null} [connection] ExchangeStart connection
                 * @property {tapegate.recording.v1.RecordingMode|null} [mode] ExchangeStart mode
                 * @property {string|null} [clientAddress] ExchangeStart clientAddress
                 * @property {tapegate.recording.v1.Identity.$Properties|null} [identity] ExchangeStart identity
                 * @property {string|null} [operation] ExchangeStart operation
                 * @property {string|null} [resource] ExchangeStart resource
                 * @property {tapegate.recording.v1.Decision.$Properties|null} [decision] ExchangeStart decision
                 * @property {string|null} [method] ExchangeStart method
                 * @property {string|null} [target] ExchangeStart target
                 * @property {Array.<tapegate.recording.v1.Header.$Properties>|null} [requestHeaders] ExchangeStart requestHeaders
                 * @property {number|Long|null} [receivedNs] ExchangeStart receivedNs
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of an ExchangeStart.
                 * @memberof tapegate.recording.v1
                 * @interface IExchangeStart
                 * @augments tapegate.recording.v1.ExchangeStart.$Properties
                 * @deprecated Use tapegate.recording.v1.ExchangeStart.$Properties instead.
                 */

                /**
                 * Shape of an ExchangeStart.
                 * @typedef {tapegate.recording.v1.ExchangeStart.$Properties} tapegate.recording.v1.ExchangeStart.$Shape
                 */

                /**
                 * Constructs a new ExchangeStart.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents an ExchangeStart.
                 * @constructor
                 * @param {tapegate.recording.v1.ExchangeStart.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const ExchangeStart = function (properties) {
                    this.requestHeaders = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * ExchangeStart exchangeId.
                 * @member {string} exchangeId
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.exchangeId = "";

                /**
                 * ExchangeStart sessionId.
                 * @member {string} sessionId
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.sessionId = "";

                /**
                 * ExchangeStart connection.
                 * @member {string} connection
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.connection = "";

                /**
                 * ExchangeStart mode.
                 * @member {tapegate.recording.v1.RecordingMode} mode
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.mode = 0;

                /**
                 * ExchangeStart clientAddress.
                 * @member {string} clientAddress
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.clientAddress = "";

                /**
                 * ExchangeStart identity.
                 * @member {tapegate.recording.v1.Identity.$Properties|null|undefined} identity
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.identity = null;

                /**
                 * ExchangeStart operation.
                 * @member {string} operation
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.operation = "";

                /**
                 * ExchangeStart resource.
                 * @member {string} resource
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.resource = "";

                /**
                 * ExchangeStart decision.
                 * @member {tapegate.recording.v1.Decision.$Properties|null|undefined} decision
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.decision = null;

                /**
                 * ExchangeStart method.
                 * @member {string} method
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.method = "";

                /**
                 * ExchangeStart target.
                 * @member {string} target
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.target = "";

                /**
                 * ExchangeStart requestHeaders.
                 * @member {Array.<tapegate.recording.v1.Header.$Properties>} requestHeaders
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.requestHeaders = $util.emptyArray;

                /**
                 * ExchangeStart receivedNs.
                 * @member {number|Long} receivedNs
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @instance
                 */
                ExchangeStart.prototype.receivedNs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * Encodes the specified ExchangeStart message. Does not implicitly {@link tapegate.recording.v1.ExchangeStart.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @static
                 * @param {tapegate.recording.v1.ExchangeStart.$Properties} message ExchangeStart message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                ExchangeStart.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.exchangeId != null && $Object.hasOwnProperty.call(message, "exchangeId") && message.exchangeId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.exchangeId);
                    if (message.sessionId != null && $Object.hasOwnProperty.call(message, "sessionId") && message.sessionId !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.sessionId);
                    if (message.connection != null && $Object.hasOwnProperty.call(message, "connection") && message.connection !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.connection);
                    if (message.mode != null && $Object.hasOwnProperty.call(message, "mode") && message.mode !== 0)
                        writer.uint32(/* id 4, wireType 0 =*/32).int32(message.mode);
                    if (message.clientAddress != null && $Object.hasOwnProperty.call(message, "clientAddress") && message.clientAddress !== "")
                        writer.uint32(/* id 5, wireType 2 =*/42).string(message.clientAddress);
                    if (message.identity != null && $Object.hasOwnProperty.call(message, "identity"))
                        $root.tapegate.recording.v1.Identity.encode(message.identity, writer.uint32(/* id 6, wireType 2 =*/50).fork(), _depth + 1).ldelim();
                    if (message.operation != null && $Object.hasOwnProperty.call(message, "operation") && message.operation !== "")
                        writer.uint32(/* id 7, wireType 2 =*/58).string(message.operation);
                    if (message.resource != null && $Object.hasOwnProperty.call(message, "resource") && message.resource !== "")
                        writer.uint32(/* id 8, wireType 2 =*/66).string(message.resource);
                    if (message.decision != null && $Object.hasOwnProperty.call(message, "decision"))
                        $root.tapegate.recording.v1.Decision.encode(message.decision, writer.uint32(/* id 9, wireType 2 =*/74).fork(), _depth + 1).ldelim();
                    if (message.method != null && $Object.hasOwnProperty.call(message, "method") && message.method !== "")
                        writer.uint32(/* id 10, wireType 2 =*/82).string(message.method);
                    if (message.target != null && $Object.hasOwnProperty.call(message, "target") && message.target !== "")
                        writer.uint32(/* id 11, wireType 2 =*/90).string(message.target);
                    if (message.requestHeaders != null && message.requestHeaders.length)
                        for (let i = 0; i < message.requestHeaders.length; ++i)
                            $root.tapegate.recording.v1.Header.encode(message.requestHeaders[i], writer.uint32(/* id 12, wireType 2 =*/98).fork(), _depth + 1).ldelim();
                    if (message.receivedNs != null && $Object.hasOwnProperty.call(message, "receivedNs") && (typeof message.receivedNs === "object" ? message.receivedNs.low || message.receivedNs.high : message.receivedNs !== 0))
                        writer.uint32(/* id 13, wireType 0 =*/104).int64(message.receivedNs);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes an ExchangeStart message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.ExchangeStart
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.ExchangeStart & tapegate.recording.v1.ExchangeStart.$Shape} ExchangeStart
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                ExchangeStart.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.ExchangeStart();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.exchangeId = value;
                                else
                                    delete message.exchangeId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.sessionId = value;
                                else
                                    delete message.sessionId;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.connection = value;
                                else
                                    delete message.connection;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.int32())
                                    message.mode = value;
                                else
                                    delete message.mode;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.clientAddress = value;
                                else
                                    delete message.clientAddress;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 2)
                                    break;
                                message.identity = $root.tapegate.recording.v1.Identity.decode(reader, reader.size(), $undefined, _depth + 1, message.identity);
                                continue;
                            }
                        case 7: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.operation = value;
                                else
                                    delete message.operation;
                                continue;
                            }
                        case 8: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.resource = value;
                                else
                                    delete message.resource;
                                continue;
                            }
                        case 9: {
                                if (wireType !== 2)
                                    break;
                                message.decision = $root.tapegate.recording.v1.Decision.decode(reader, reader.size(), $undefined, _depth + 1, message.decision);
                                continue;
                            }
                        case 10: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.method = value;
                                else
                                    delete message.method;
                                continue;
                            }
                        case 11: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.target = value;
                                else
                                    delete message.target;
                                continue;
                            }
                        case 12: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.requestHeaders && message.requestHeaders.length))
                                    message.requestHeaders = [];
                                message.requestHeaders.push($root.tapegate.recording.v1.Header.decode(reader, reader.size(), $undefined, _depth + 1));
                                continue;
                            }
                        case 13: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.receivedNs = value;
                                else
                                    delete message.receivedNs;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return ExchangeStart;
            })();

            /**
             * Direction enum.
             * @name tapegate.recording.v1.Direction
             * @enum {number}
             * @property {number} DIRECTION_UNSPECIFIED=0 DIRECTION_UNSPECIFIED value
             * @property {number} REQUEST=1 REQUEST value
             * @property {number} RESPONSE=2 RESPONSE value
             */
            v1.Direction = (function() {
                const valuesById = $Object.create(null), values = $Object.create(valuesById);
                values[valuesById[0] = "DIRECTION_UNSPECIFIED"] = 0;
                values[valuesById[1] = "REQUEST"] = 1;
                values[valuesById[2] = "RESPONSE"] = 2;
                return values;
            })();

            v1.BodyChunk = (function() {

                /**
                 * Properties of a BodyChunk.
                 * @typedef {Object} tapegate.recording.v1.BodyChunk.$Properties
                 * @property {string|null} [exchangeId] BodyChunk exchangeId
                 * @property {tapegate.recording.v1.Direction|null} [direction] BodyChunk direction
                 * @property {number|Long|null} [offset] BodyChunk offset
                 * @property {Uint8Array|null} [data] BodyChunk data
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a BodyChunk.
                 * @memberof tapegate.recording.v1
                 * @interface IBodyChunk
                 * @augments tapegate.recording.v1.BodyChunk.$Properties
                 * @deprecated Use tapegate.recording.v1.BodyChunk.$Properties instead.
                 */

                /**
                 * Shape of a BodyChunk.
                 * @typedef {tapegate.recording.v1.BodyChunk.$Properties} tapegate.recording.v1.BodyChunk.$Shape
                 */

                /**
                 * Constructs a new BodyChunk.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents a BodyChunk.
                 * @constructor
                 * @param {tapegate.recording.v1.BodyChunk.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const BodyChunk = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * BodyChunk exchangeId.
                 * @member {string} exchangeId
                 * @memberof tapegate.recording.v1.BodyChunk
                 * @instance
                 */
                BodyChunk.prototype.exchangeId = "";

                /**
                 * BodyChunk direction.
                 * @member {tapegate.recording.v1.Direction} direction
                 * @memberof tapegate.recording.v1.BodyChunk
                 * @instance
                 */
                BodyChunk.prototype.direction = 0;

                /**
                 * BodyChunk offset.
                 * @member {number|Long} offset
                 * @memberof tapegate.recording.v1.BodyChunk
                 * @instance
                 */
                BodyChunk.prototype.offset = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * BodyChunk data.
                 * @member {Uint8Array} data
                 * @memberof tapegate.recording.v1.BodyChunk
                 * @instance
                 */
                BodyChunk.prototype.data = $util.newBuffer([]);

                /**
                 * Encodes the specified BodyChunk message. Does not implicitly {@link tapegate.recording.v1.BodyChunk.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.BodyChunk
                 * @static
                 * @param {tapegate.recording.v1.BodyChunk.$Properties} message BodyChunk message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                BodyChunk.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.exchangeId != null && $Object.hasOwnProperty.call(message, "exchangeId") && message.exchangeId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.exchangeId);
                    if (message.direction != null && $Object.hasOwnProperty.call(message, "direction") && message.direction !== 0)
                        writer.uint32(/* id 2, wireType 0 =*/16).int32(message.direction);
                    if (message.offset != null && $Object.hasOwnProperty.call(message, "offset") && (typeof message.offset === "object" ? message.offset.low || message.offset.high : message.offset !== 0))
                        writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.offset);
                    if (message.data != null && $Object.hasOwnProperty.call(message, "data") && message.data.length)
                        writer.uint32(/* id 4, wireType 2 =*/34).bytes(message.data);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a BodyChunk message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.BodyChunk
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.BodyChunk & tapegate.recording.v1.BodyChunk.$Shape} BodyChunk
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                BodyChunk.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.BodyChunk();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.exchangeId = value;
                                else
                                    delete message.exchangeId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.int32())
                                    message.direction = value;
                                else
                                    delete message.direction;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.offset = value;
                                else
                                    delete message.offset;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.data = value;
                                else
                                    delete message.data;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return BodyChunk;
            })();

            v1.ResponseStart = (function() {

                /**
                 * Properties of a ResponseStart.
                 * @typedef {Object} tapegate.recording.v1.ResponseStart.$Properties
                 * @property {string|null} [exchangeId] ResponseStart exchangeId
                 * @property {number|null} [status] ResponseStart status
                 * @property {Array.<tapegate.recording.v1.Header.$Properties>|null} [headers] ResponseStart headers
                 * @property {number|Long|null} [upstreamConnectedNs] ResponseStart upstreamConnectedNs
                 * @property {number|Long|null} [firstByteNs] ResponseStart firstByteNs
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a ResponseStart.
                 * @memberof tapegate.recording.v1
                 * @interface IResponseStart
                 * @augments tapegate.recording.v1.ResponseStart.$Properties
                 * @deprecated Use tapegate.recording.v1.ResponseStart.$Properties instead.
                 */

                /**
                 * Shape of a ResponseStart.
                 * @typedef {tapegate.recording.v1.ResponseStart.$Properties} tapegate.recording.v1.ResponseStart.$Shape
                 */

                /**
                 * Constructs a new ResponseStart.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents a ResponseStart.
                 * @constructor
                 * @param {tapegate.recording.v1.ResponseStart.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const ResponseStart = function (properties) {
                    this.headers = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * ResponseStart exchangeId.
                 * @member {string} exchangeId
                 * @memberof tapegate.recording.v1.ResponseStart
                 * @instance
                 */
                ResponseStart.prototype.exchangeId = "";

                /**
                 * ResponseStart status.
                 * @member {number} status
                 * @memberof tapegate.recording.v1.ResponseStart
                 * @instance
                 */
                ResponseStart.prototype.status = 0;

                /**
                 * ResponseStart headers.
                 * @member {Array.<tapegate.recording.v1.Header.$Properties>} headers
                 * @memberof tapegate.recording.v1.ResponseStart
                 * @instance
                 */
                ResponseStart.prototype.headers = $util.emptyArray;

                /**
                 * ResponseStart upstreamConnectedNs.
                 * @member {number|Long} upstreamConnectedNs
                 * @memberof tapegate.recording.v1.ResponseStart
                 * @instance
                 */
                ResponseStart.prototype.upstreamConnectedNs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * ResponseStart firstByteNs.
                 * @member {number|Long} firstByteNs
                 * @memberof tapegate.recording.v1.ResponseStart
                 * @instance
                 */
                ResponseStart.prototype.firstByteNs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * Encodes the specified ResponseStart message. Does not implicitly {@link tapegate.recording.v1.ResponseStart.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.ResponseStart
                 * @static
                 * @param {tapegate.recording.v1.ResponseStart.$Properties} message ResponseStart message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                ResponseStart.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.exchangeId != null && $Object.hasOwnProperty.call(message, "exchangeId") && message.exchangeId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.exchangeId);
                    if (message.status != null && $Object.hasOwnProperty.call(message, "status") && message.status !== 0)
                        writer.uint32(/* id 2, wireType 0 =*/16).uint32(message.status);
                    if (message.headers != null && message.headers.length)
                        for (let i = 0; i < message.headers.length; ++i)
                            $root.tapegate.recording.v1.Header.encode(message.headers[i], writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                    if (message.upstreamConnectedNs != null && $Object.hasOwnProperty.call(message, "upstreamConnectedNs") && (typeof message.upstreamConnectedNs === "object" ? message.upstreamConnectedNs.low || message.upstreamConnectedNs.high : message.upstreamConnectedNs !== 0))
                        writer.uint32(/* id 4, wireType 0 =*/32).int64(message.upstreamConnectedNs);
                    if (message.firstByteNs != null && $Object.hasOwnProperty.call(message, "firstByteNs") && (typeof message.firstByteNs === "object" ? message.firstByteNs.low || message.firstByteNs.high : message.firstByteNs !== 0))
                        writer.uint32(/* id 5, wireType 0 =*/40).int64(message.firstByteNs);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a ResponseStart message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.ResponseStart
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.ResponseStart & tapegate.recording.v1.ResponseStart.$Shape} ResponseStart
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                ResponseStart.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.ResponseStart();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.exchangeId = value;
                                else
                                    delete message.exchangeId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.uint32())
                                    message.status = value;
                                else
                                    delete message.status;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.headers && message.headers.length))
                                    message.headers = [];
                                message.headers.push($root.tapegate.recording.v1.Header.decode(reader, reader.size(), $undefined, _depth + 1));
                                continue;
                            }
                        case 4: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.upstreamConnectedNs = value;
                                else
                                    delete message.upstreamConnectedNs;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.firstByteNs = value;
                                else
                                    delete message.firstByteNs;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return ResponseStart;
            })();

            /**
             * Outcome enum.
             * @name tapegate.recording.v1.Outcome
             * @enum {number}
             * @property {number} OUTCOME_UNSPECIFIED=0 OUTCOME_UNSPECIFIED value
             * @property {number} COMPLETED=1 COMPLETED value
             * @property {number} CLIENT_ABORTED=2 CLIENT_ABORTED value
             * @property {number} UPSTREAM_ERROR=3 UPSTREAM_ERROR value
             * @property {number} TIMEOUT=4 TIMEOUT value
             * @property {number} DENIED=5 DENIED value
             * @property {number} REJECTED_UNRECORDABLE=6 REJECTED_UNRECORDABLE value
             */
            v1.Outcome = (function() {
                const valuesById = $Object.create(null), values = $Object.create(valuesById);
                values[valuesById[0] = "OUTCOME_UNSPECIFIED"] = 0;
                values[valuesById[1] = "COMPLETED"] = 1;
                values[valuesById[2] = "CLIENT_ABORTED"] = 2;
                values[valuesById[3] = "UPSTREAM_ERROR"] = 3;
                values[valuesById[4] = "TIMEOUT"] = 4;
                values[valuesById[5] = "DENIED"] = 5;
                values[valuesById[6] = "REJECTED_UNRECORDABLE"] = 6;
                return values;
            })();

            v1.ExchangeEnd = (function() {

                /**
                 * Properties of an ExchangeEnd.
                 * @typedef {Object} tapegate.recording.v1.ExchangeEnd.$Properties
                 * @property {string|null} [exchangeId] ExchangeEnd exchangeId
                 * @property {tapegate.recording.v1.Outcome|null} [outcome] ExchangeEnd outcome
                 * @property {string|null} [error] ExchangeEnd error
                 * @property {number|Long|null} [completedNs] ExchangeEnd completedNs
                 * @property {number|Long|null} [requestBytes] ExchangeEnd requestBytes
                 * @property {number|Long|null} [responseBytes] ExchangeEnd responseBytes
                 * @property {tapegate.recording.v1.Decision.$Properties|null} [decision] ExchangeEnd decision
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of an ExchangeEnd.
                 * @memberof tapegate.recording.v1
                 * @interface IExchangeEnd
                 * @augments tapegate.recording.v1.ExchangeEnd.$Properties
                 * @deprecated Use tapegate.recording.v1.ExchangeEnd.$Properties instead.
                 */

                /**
                 * Shape of an ExchangeEnd.
                 * @typedef {tapegate.recording.v1.ExchangeEnd.$Properties} tapegate.recording.v1.ExchangeEnd.$Shape
                 */

                /**
                 * Constructs a new ExchangeEnd.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents an ExchangeEnd.
                 * @constructor
                 * @param {tapegate.recording.v1.ExchangeEnd.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const ExchangeEnd = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * ExchangeEnd exchangeId.
                 * @member {string} exchangeId
                 * @memberof tapegate.recording.v1.ExchangeEnd
                 * @instance
                 */
                ExchangeEnd.prototype.exchangeId = "";

                /**
                 * ExchangeEnd outcome.
                 * @member {tapegate.recording.v1.Outcome} outcome
                 * @memberof tapegate.recording.v1.ExchangeEnd
                 * @instance
                 */
                ExchangeEnd.prototype.outcome = 0;

                /**
                 * ExchangeEnd error.
                 * @member {string} error
                 * @memberof tapegate.recording.v1.ExchangeEnd
                 * @instance
                 */
                ExchangeEnd.prototype.error = "";

                /**
                 * ExchangeEnd completedNs.
                 * @member {number|Long} completedNs
                 * @memberof tapegate.recording.v1.ExchangeEnd
                 * @instance
                 */
                ExchangeEnd.prototype.completedNs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * ExchangeEnd requestBytes.
                 * @member {number|Long} requestBytes
                 * @memberof tapegate.recording.v1.ExchangeEnd
                 * @instance
                 */
                ExchangeEnd.prototype.requestBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * ExchangeEnd responseBytes.
                 * @member {number|Long} responseBytes
                 * @memberof tapegate.recording.v1.ExchangeEnd
                 * @instance
                 */
                ExchangeEnd.prototype.responseBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * ExchangeEnd decision.
                 * @member {tapegate.recording.v1.Decision.$Properties|null|undefined} decision
                 * @memberof tapegate.recording.v1.ExchangeEnd
                 * @instance
                 */
                ExchangeEnd.prototype.decision = null;

                /**
                 * Encodes the specified ExchangeEnd message. Does not implicitly {@link tapegate.recording.v1.ExchangeEnd.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.ExchangeEnd
                 * @static
                 * @param {tapegate.recording.v1.ExchangeEnd.$Properties} message ExchangeEnd message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                ExchangeEnd.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.exchangeId != null && $Object.hasOwnProperty.call(message, "exchangeId") && message.exchangeId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.exchangeId);
                    if (message.outcome != null && $Object.hasOwnProperty.call(message, "outcome") && message.outcome !== 0)
                        writer.uint32(/* id 2, wireType 0 =*/16).int32(message.outcome);
                    if (message.error != null && $Object.hasOwnProperty.call(message, "error") && message.error !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.error);
                    if (message.completedNs != null && $Object.hasOwnProperty.call(message, "completedNs") && (typeof message.completedNs === "object" ? message.completedNs.low || message.completedNs.high : message.completedNs !== 0))
                        writer.uint32(/* id 4, wireType 0 =*/32).int64(message.completedNs);
                    if (message.requestBytes != null && $Object.hasOwnProperty.call(message, "requestBytes") && (typeof message.requestBytes === "object" ? message.requestBytes.low || message.requestBytes.high : message.requestBytes !== 0))
                        writer.uint32(/* id 5, wireType 0 =*/40).uint64(message.requestBytes);
                    if (message.responseBytes != null && $Object.hasOwnProperty.call(message, "responseBytes") && (typeof message.responseBytes === "object" ? message.responseBytes.low || message.responseBytes.high : message.responseBytes !== 0))
                        writer.uint32(/* id 6, wireType 0 =*/48).uint64(message.responseBytes);
                    if (message.decision != null && $Object.hasOwnProperty.call(message, "decision"))
                        $root.tapegate.recording.v1.Decision.encode(message.decision, writer.uint32(/* id 7, wireType 2 =*/58).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes an ExchangeEnd message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.ExchangeEnd
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.ExchangeEnd & tapegate.recording.v1.ExchangeEnd.$Shape} ExchangeEnd
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                ExchangeEnd.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.ExchangeEnd();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.exchangeId = value;
                                else
                                    delete message.exchangeId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.int32())
                                    message.outcome = value;
                                else
                                    delete message.outcome;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.error = value;
                                else
                                    delete message.error;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.completedNs = value;
                                else
                                    delete message.completedNs;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.requestBytes = value;
                                else
                                    delete message.requestBytes;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.responseBytes = value;
                                else
                                    delete message.responseBytes;
                                continue;
                            }
                        case 7: {
                                if (wireType !== 2)
                                    break;
                                message.decision = $root.tapegate.recording.v1.Decision.decode(reader, reader.size(), $undefined, _depth + 1, message.decision);
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return ExchangeEnd;
            })();

            v1.RecordingGap = (function() {

                /**
                 * Properties of a RecordingGap.
                 * @typedef {Object} tapegate.recording.v1.RecordingGap.$Properties
                 * @property {number|Long|null} [droppedRecords] RecordingGap droppedRecords
                 * @property {number|Long|null} [droppedBytes] RecordingGap droppedBytes
                 * @property {number|Long|null} [fromNs] RecordingGap fromNs
                 * @property {number|Long|null} [toNs] RecordingGap toNs
                 * @property {string|null} [reason] RecordingGap reason
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a RecordingGap.
                 * @memberof tapegate.recording.v1
                 * @interface IRecordingGap
                 * @augments tapegate.recording.v1.RecordingGap.$Properties
                 * @deprecated Use tapegate.recording.v1.RecordingGap.$Properties instead.
                 */

                /**
                 * Shape of a RecordingGap.
                 * @typedef {tapegate.recording.v1.RecordingGap.$Properties} tapegate.recording.v1.RecordingGap.$Shape
                 */

                /**
                 * Constructs a new RecordingGap.
                 * @memberof tapegate.recording.v1
                 * @classdesc Represents a RecordingGap.
                 * @constructor
                 * @param {tapegate.recording.v1.RecordingGap.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const RecordingGap = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * RecordingGap droppedRecords.
                 * @member {number|Long} droppedRecords
                 * @memberof tapegate.recording.v1.RecordingGap
                 * @instance
                 */
                RecordingGap.prototype.droppedRecords = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * RecordingGap droppedBytes.
                 * @member {number|Long} droppedBytes
                 * @memberof tapegate.recording.v1.RecordingGap
                 * @instance
                 */
                RecordingGap.prototype.droppedBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * RecordingGap fromNs.
                 * @member {number|Long} fromNs
                 * @memberof tapegate.recording.v1.RecordingGap
                 * @instance
                 */
                RecordingGap.prototype.fromNs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * RecordingGap toNs.
                 * @member {number|Long} toNs
                 * @memberof tapegate.recording.v1.RecordingGap
                 * @instance
                 */
                RecordingGap.prototype.toNs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * RecordingGap reason.
                 * @member {string} reason
                 * @memberof tapegate.recording.v1.RecordingGap
                 * @instance
                 */
                RecordingGap.prototype.reason = "";

                /**
                 * Encodes the specified RecordingGap message. Does not implicitly {@link tapegate.recording.v1.RecordingGap.verify|verify} messages.
                 * @function encode
                 * @memberof tapegate.recording.v1.RecordingGap
                 * @static
                 * @param {tapegate.recording.v1.RecordingGap.$Properties} message RecordingGap message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                RecordingGap.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.droppedRecords != null && $Object.hasOwnProperty.call(message, "droppedRecords") && (typeof message.droppedRecords === "object" ? message.droppedRecords.low || message.droppedRecords.high : message.droppedRecords !== 0))
                        writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.droppedRecords);
                    if (message.droppedBytes != null && $Object.hasOwnProperty.call(message, "droppedBytes") && (typeof message.droppedBytes === "object" ? message.droppedBytes.low || message.droppedBytes.high : message.droppedBytes !== 0))
                        writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.droppedBytes);
                    if (message.fromNs != null && $Object.hasOwnProperty.call(message, "fromNs") && (typeof message.fromNs === "object" ? message.fromNs.low || message.fromNs.high : message.fromNs !== 0))
                        writer.uint32(/* id 3, wireType 0 =*/24).int64(message.fromNs);
                    if (message.toNs != null && $Object.hasOwnProperty.call(message, "toNs") && (typeof message.toNs === "object" ? message.toNs.low || message.toNs.high : message.toNs !== 0))
                        writer.uint32(/* id 4, wireType 0 =*/32).int64(message.toNs);
                    if (message.reason != null && $Object.hasOwnProperty.call(message, "reason") && message.reason !== "")
                        writer.uint32(/* id 5, wireType 2 =*/42).string(message.reason);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a RecordingGap message from the specified reader or buffer.
                 * @function decode
                 * @memberof tapegate.recording.v1.RecordingGap
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.RecordingGap & tapegate.recording.v1.RecordingGap.$Shape} RecordingGap
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                RecordingGap.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.tapegate.recording.v1.RecordingGap();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.droppedRecords = value;
                                else
                                    delete message.droppedRecords;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.droppedBytes = value;
                                else
                                    delete message.droppedBytes;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.fromNs = value;
                                else
                                    delete message.fromNs;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                                    message.toNs = value;
                                else
                                    delete message.toNs;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.reason = value;
                                else
                                    delete message.reason;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return RecordingGap;
            })();

            return v1;
        })();

        return recording;
    })();

    return tapegate;
})();

export {
  $root as default
};
