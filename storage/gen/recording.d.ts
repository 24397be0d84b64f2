import * as $protobuf from "protobufjs";
import Long = require("long");

/** Namespace tapegate. */
export namespace tapegate {

    /** Namespace recording. */
    namespace recording {

        /** Namespace v1. */
        namespace v1 {

            /**
             * Properties of a SegmentHeader.
             * @deprecated Use tapegate.recording.v1.SegmentHeader.$Properties instead.
             */
            interface ISegmentHeader extends tapegate.recording.v1.SegmentHeader.$Properties {
            }

            /** Represents a SegmentHeader. */
            class SegmentHeader {

                /**
                 * Constructs a new SegmentHeader.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.SegmentHeader.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** SegmentHeader instanceId. */
                instanceId: string;

                /** SegmentHeader seq. */
                seq: (number|Long);

                /** SegmentHeader createdAtNs. */
                createdAtNs: (number|Long);

                /** SegmentHeader prevSha256. */
                prevSha256: Uint8Array;

                /** SegmentHeader keyId. */
                keyId: string;

                /** SegmentHeader zstdLevel. */
                zstdLevel: number;

                /** SegmentHeader durability. */
                durability: string;

                /**
                 * Encodes the specified SegmentHeader message. Does not implicitly {@link tapegate.recording.v1.SegmentHeader.verify|verify} messages.
                 * @param message SegmentHeader message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.SegmentHeader.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a SegmentHeader message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.SegmentHeader & tapegate.recording.v1.SegmentHeader.$Shape} SegmentHeader
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.SegmentHeader & tapegate.recording.v1.SegmentHeader.$Shape;
            }

            namespace SegmentHeader {

                /** Properties of a SegmentHeader. */
                interface $Properties {

                    /** SegmentHeader instanceId */
                    instanceId?: (string|null);

                    /** SegmentHeader seq */
                    seq?: (number|Long|null);

                    /** SegmentHeader createdAtNs */
                    createdAtNs?: (number|Long|null);

                    /** SegmentHeader prevSha256 */
                    prevSha256?: (Uint8Array|null);

                    /** SegmentHeader keyId */
                    keyId?: (string|null);

                    /** SegmentHeader zstdLevel */
                    zstdLevel?: (number|null);

                    /** SegmentHeader durability */
                    durability?: (string|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a SegmentHeader. */
                type $Shape = tapegate.recording.v1.SegmentHeader.$Properties;
            }

            /**
             * Properties of a SegmentTrailer.
             * @deprecated Use tapegate.recording.v1.SegmentTrailer.$Properties instead.
             */
            interface ISegmentTrailer extends tapegate.recording.v1.SegmentTrailer.$Properties {
            }

            /** Represents a SegmentTrailer. */
            class SegmentTrailer {

                /**
                 * Constructs a new SegmentTrailer.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.SegmentTrailer.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** SegmentTrailer recordCount. */
                recordCount: (number|Long);

                /** SegmentTrailer frameCount. */
                frameCount: (number|Long);

                /** SegmentTrailer firstExchangeId. */
                firstExchangeId: string;

                /** SegmentTrailer lastExchangeId. */
                lastExchangeId: string;

                /** SegmentTrailer firstNs. */
                firstNs: (number|Long);

                /** SegmentTrailer lastNs. */
                lastNs: (number|Long);

                /** SegmentTrailer sha256. */
                sha256: Uint8Array;

                /** SegmentTrailer recovered. */
                recovered: boolean;

                /** SegmentTrailer discardedBytes. */
                discardedBytes: (number|Long);

                /** SegmentTrailer sealedAtNs. */
                sealedAtNs: (number|Long);

                /** SegmentTrailer rawBytes. */
                rawBytes: (number|Long);

                /** SegmentTrailer droppedRecords. */
                droppedRecords: (number|Long);

                /** SegmentTrailer unwrittenBytes. */
                unwrittenBytes: (number|Long);

                /**
                 * Encodes the specified SegmentTrailer message. Does not implicitly {@link tapegate.recording.v1.SegmentTrailer.verify|verify} messages.
                 * @param message SegmentTrailer message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.SegmentTrailer.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a SegmentTrailer message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.SegmentTrailer & tapegate.recording.v1.SegmentTrailer.$Shape} SegmentTrailer
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.SegmentTrailer & tapegate.recording.v1.SegmentTrailer.$Shape;
            }

            namespace SegmentTrailer {

                /** Properties of a SegmentTrailer. */
                interface $Properties {

                    /** SegmentTrailer recordCount */
                    recordCount?: (number|Long|null);

                    /** SegmentTrailer frameCount */
                    frameCount?: (number|Long|null);

                    /** SegmentTrailer firstExchangeId */
                    firstExchangeId?: (string|null);

                    /** SegmentTrailer lastExchangeId */
                    lastExchangeId?: (string|null);

                    /** SegmentTrailer firstNs */
                    firstNs?: (number|Long|null);

                    /** SegmentTrailer lastNs */
                    lastNs?: (number|Long|null);

                    /** SegmentTrailer sha256 */
                    sha256?: (Uint8Array|null);

                    /** SegmentTrailer recovered */
                    recovered?: (boolean|null);

                    /** SegmentTrailer discardedBytes */
                    discardedBytes?: (number|Long|null);

                    /** SegmentTrailer sealedAtNs */
                    sealedAtNs?: (number|Long|null);

                    /** SegmentTrailer rawBytes */
                    rawBytes?: (number|Long|null);

                    /** SegmentTrailer droppedRecords */
                    droppedRecords?: (number|Long|null);

                    /** SegmentTrailer unwrittenBytes */
                    unwrittenBytes?: (number|Long|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a SegmentTrailer. */
                type $Shape = tapegate.recording.v1.SegmentTrailer.$Properties;
            }

            /**
             * Properties of a Record.
             * @deprecated Use tapegate.recording.v1.Record.$Properties instead.
             */
            interface IRecord extends tapegate.recording.v1.Record.$Properties {
            }

            /** Represents a Record. */
            class Record {

                /**
                 * Constructs a new Record.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.Record.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** Record start. */
                start?: (tapegate.recording.v1.ExchangeStart.$Properties|null);

                /** Record body. */
                body?: (tapegate.recording.v1.BodyChunk.$Properties|null);

                /** Record response. */
                response?: (tapegate.recording.v1.ResponseStart.$Properties|null);

                /** Record end. */
                end?: (tapegate.recording.v1.ExchangeEnd.$Properties|null);

                /** Record gap. */
                gap?: (tapegate.recording.v1.RecordingGap.$Properties|null);

                /** Record kind. */
                kind?: ("start"|"body"|"response"|"end"|"gap");

                /**
                 * Encodes the specified Record message. Does not implicitly {@link tapegate.recording.v1.Record.verify|verify} messages.
                 * @param message Record message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.Record.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a Record message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.Record & tapegate.recording.v1.Record.$Shape} Record
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.Record & tapegate.recording.v1.Record.$Shape;
            }

            namespace Record {

                /** Properties of a Record. */
                interface $Properties {

                    /** Record start */
                    start?: (tapegate.recording.v1.ExchangeStart.$Properties|null);

                    /** Record body */
                    body?: (tapegate.recording.v1.BodyChunk.$Properties|null);

                    /** Record response */
                    response?: (tapegate.recording.v1.ResponseStart.$Properties|null);

                    /** Record end */
                    end?: (tapegate.recording.v1.ExchangeEnd.$Properties|null);

                    /** Record gap */
                    gap?: (tapegate.recording.v1.RecordingGap.$Properties|null);

                    /** Record kind */
                    kind?: ("start"|"body"|"response"|"end"|"gap");

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Narrowed shape of a Record. */
                type $Shape = {
                  start?: tapegate.recording.v1.ExchangeStart.$Shape|null;
                  body?: tapegate.recording.v1.BodyChunk.$Shape|null;
                  response?: tapegate.recording.v1.ResponseStart.$Shape|null;
                  end?: tapegate.recording.v1.ExchangeEnd.$Shape|null;
                  gap?: tapegate.recording.v1.RecordingGap.$Shape|null;
                  $unknowns?: Uint8Array[];
                } & (
                  ({ kind?: undefined; start?: null; body?: null; response?: null; end?: null; gap?: null }|{ kind?: "start"; start: tapegate.recording.v1.ExchangeStart.$Shape; body?: null; response?: null; end?: null; gap?: null }|{ kind?: "body"; start?: null; body: tapegate.recording.v1.BodyChunk.$Shape; response?: null; end?: null; gap?: null }|{ kind?: "response"; start?: null; body?: null; response: tapegate.recording.v1.ResponseStart.$Shape; end?: null; gap?: null }|{ kind?: "end"; start?: null; body?: null; response?: null; end: tapegate.recording.v1.ExchangeEnd.$Shape; gap?: null }|{ kind?: "gap"; start?: null; body?: null; response?: null; end?: null; gap: tapegate.recording.v1.RecordingGap.$Shape })
                );
            }

            /**
             * Properties of a Header.
             * @deprecated Use tapegate.recording.v1.Header.$Properties instead.
             */
            interface IHeader extends tapegate.recording.v1.Header.$Properties {
            }

            /** Represents a Header. */
            class Header {

                /**
                 * Constructs a new Header.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.Header.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** Header name. */
                name: string;

                /** Header value. */
                value: string;

                /**
                 * Encodes the specified Header message. Does not implicitly {@link tapegate.recording.v1.Header.verify|verify} messages.
                 * @param message Header message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.Header.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a Header message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.Header & tapegate.recording.v1.Header.$Shape} Header
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.Header & tapegate.recording.v1.Header.$Shape;
            }

            namespace Header {

                /** Properties of a Header. */
                interface $Properties {

                    /** Header name */
                    name?: (string|null);

                    /** Header value */
                    value?: (string|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a Header. */
                type $Shape = tapegate.recording.v1.Header.$Properties;
            }

            /**
             * Properties of an Identity.
             * @deprecated Use tapegate.recording.v1.Identity.$Properties instead.
             */
            interface IIdentity extends tapegate.recording.v1.Identity.$Properties {
            }

            /** Represents an Identity. */
            class Identity {

                /**
                 * Constructs a new Identity.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.Identity.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** Identity subject. */
                subject: string;

                /** Identity issuer. */
                issuer: string;

                /** Identity groups. */
                groups: string[];

                /**
                 * Encodes the specified Identity message. Does not implicitly {@link tapegate.recording.v1.Identity.verify|verify} messages.
                 * @param message Identity message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.Identity.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes an Identity message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.Identity & tapegate.recording.v1.Identity.$Shape} Identity
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.Identity & tapegate.recording.v1.Identity.$Shape;
            }

            namespace Identity {

                /** Properties of an Identity. */
                interface $Properties {

                    /** Identity subject */
                    subject?: (string|null);

                    /** Identity issuer */
                    issuer?: (string|null);

                    /** Identity groups */
                    groups?: (string[]|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of an Identity. */
                type $Shape = tapegate.recording.v1.Identity.$Properties;
            }

            /**
             * Properties of a Decision.
             * @deprecated Use tapegate.recording.v1.Decision.$Properties instead.
             */
            interface IDecision extends tapegate.recording.v1.Decision.$Properties {
            }

            /** Represents a Decision. */
            class Decision {

                /**
                 * Constructs a new Decision.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.Decision.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** Decision action. */
                action: string;

                /** Decision rule. */
                rule: string;

                /** Decision reviewId. */
                reviewId: string;

                /** Decision reviewedBy. */
                reviewedBy: string;

                /** Decision reviewedAtMs. */
                reviewedAtMs: (number|Long);

                /** Decision reviewReason. */
                reviewReason: string;

                /** Decision reason. */
                reason: string;

                /**
                 * Encodes the specified Decision message. Does not implicitly {@link tapegate.recording.v1.Decision.verify|verify} messages.
                 * @param message Decision message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.Decision.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a Decision message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.Decision & tapegate.recording.v1.Decision.$Shape} Decision
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.Decision & tapegate.recording.v1.Decision.$Shape;
            }

            namespace Decision {

                /** Properties of a Decision. */
                interface $Properties {

                    /** Decision action */
                    action?: (string|null);

                    /** Decision rule */
                    rule?: (string|null);

                    /** Decision reviewId */
                    reviewId?: (string|null);

                    /** Decision reviewedBy */
                    reviewedBy?: (string|null);

                    /** Decision reviewedAtMs */
                    reviewedAtMs?: (number|Long|null);

                    /** Decision reviewReason */
                    reviewReason?: (string|null);

                    /** Decision reason */
                    reason?: (string|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a Decision. */
                type $Shape = tapegate.recording.v1.Decision.$Properties;
            }

            /** RecordingMode enum. */
            enum RecordingMode {

                /** RECORDING_MODE_UNSPECIFIED value */
                RECORDING_MODE_UNSPECIFIED = 0,

                /** FULL value */
                FULL = 1,

                /** METADATA value */
                METADATA = 2,

                /** OFF value */
                OFF = 3
            }

            /**
             * Properties of an ExchangeStart.
             * @deprecated Use tapegate.recording.v1.ExchangeStart.$Properties instead.
             */
            interface IExchangeStart extends tapegate.recording.v1.ExchangeStart.$Properties {
            }

            /** Represents an ExchangeStart. */
            class ExchangeStart {

                /**
                 * Constructs a new ExchangeStart.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.ExchangeStart.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** ExchangeStart exchangeId. */
                exchangeId: string;

                /** ExchangeStart sessionId. */
                sessionId: string;

                /** ExchangeStart connection. */
                connection: string;

                /** ExchangeStart mode. */
                mode: tapegate.recording.v1.RecordingMode;

                /** ExchangeStart clientAddress. */
                clientAddress: string;

                /** ExchangeStart identity. */
                identity?: (tapegate.recording.v1.Identity.$Properties|null);

                /** ExchangeStart operation. */
                operation: string;

                /** ExchangeStart resource. */
                resource: string;

                /** ExchangeStart decision. */
                decision?: (tapegate.recording.v1.Decision.$Properties|null);

                /** ExchangeStart method. */
                method: string;

                /** ExchangeStart target. */
                target: string;

                /** ExchangeStart requestHeaders. */
                requestHeaders: tapegate.recording.v1.Header.$Properties[];

                /** ExchangeStart receivedNs. */
                receivedNs: (number|Long);

                /**
                 * Encodes the specified ExchangeStart message. Does not implicitly {@link tapegate.recording.v1.ExchangeStart.verify|verify} messages.
                 * @param message ExchangeStart message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.ExchangeStart.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes an ExchangeStart message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.ExchangeStart & tapegate.recording.v1.ExchangeStart.$Shape} ExchangeStart
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.ExchangeStart & tapegate.recording.v1.ExchangeStart.$Shape;
            }

            namespace ExchangeStart {

                /** Properties of an ExchangeStart. */
                interface $Properties {

                    /** ExchangeStart exchangeId */
                    exchangeId?: (string|null);

                    /** ExchangeStart sessionId */
                    sessionId?: (string|null);

                    /** ExchangeStart connection */
                    connection?: (string|null);

                    /** ExchangeStart mode */
                    mode?: (tapegate.recording.v1.RecordingMode|null);

                    /** ExchangeStart clientAddress */
                    clientAddress?: (string|null);

                    /** ExchangeStart identity */
                    identity?: (tapegate.recording.v1.Identity.$Properties|null);

                    /** ExchangeStart operation */
                    operation?: (string|null);

                    /** ExchangeStart resource */
                    resource?: (string|null);

                    /** ExchangeStart decision */
                    decision?: (tapegate.recording.v1.Decision.$Properties|null);

                    /** ExchangeStart method */
                    method?: (string|null);

                    /** ExchangeStart target */
                    target?: (string|null);

                    /** ExchangeStart requestHeaders */
                    requestHeaders?: (tapegate.recording.v1.Header.$Properties[]|null);

                    /** ExchangeStart receivedNs */
                    receivedNs?: (number|Long|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of an ExchangeStart. */
                type $Shape = tapegate.recording.v1.ExchangeStart.$Properties;
            }

            /** Direction enum. */
            enum Direction {

                /** DIRECTION_UNSPECIFIED value */
                DIRECTION_UNSPECIFIED = 0,

                /** REQUEST value */
                REQUEST = 1,

                /** RESPONSE value */
                RESPONSE = 2
            }

            /**
             * Properties of a BodyChunk.
             * @deprecated Use tapegate.recording.v1.BodyChunk.$Properties instead.
             */
            interface IBodyChunk extends tapegate.recording.v1.BodyChunk.$Properties {
            }

            /** Represents a BodyChunk. */
            class BodyChunk {

                /**
                 * Constructs a new BodyChunk.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.BodyChunk.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** BodyChunk exchangeId. */
                exchangeId: string;

                /** BodyChunk direction. */
                direction: tapegate.recording.v1.Direction;

                /** BodyChunk offset. */
                offset: (number|Long);

                /** BodyChunk data. */
                data: Uint8Array;

                /**
                 * Encodes the specified BodyChunk message. Does not implicitly {@link tapegate.recording.v1.BodyChunk.verify|verify} messages.
                 * @param message BodyChunk message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.BodyChunk.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a BodyChunk message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.BodyChunk & tapegate.recording.v1.BodyChunk.$Shape} BodyChunk
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.BodyChunk & tapegate.recording.v1.BodyChunk.$Shape;
            }

            namespace BodyChunk {

                /** Properties of a BodyChunk. */
                interface $Properties {

                    /** BodyChunk exchangeId */
                    exchangeId?: (string|null);

                    /** BodyChunk direction */
                    direction?: (tapegate.recording.v1.Direction|null);

                    /** BodyChunk offset */
                    offset?: (number|Long|null);

                    /** BodyChunk data */
                    data?: (Uint8Array|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a BodyChunk. */
                type $Shape = tapegate.recording.v1.BodyChunk.$Properties;
            }

            /**
             * Properties of a ResponseStart.
             * @deprecated Use tapegate.recording.v1.ResponseStart.$Properties instead.
             */
            interface IResponseStart extends tapegate.recording.v1.ResponseStart.$Properties {
            }

            /** Represents a ResponseStart. */
            class ResponseStart {

                /**
                 * Constructs a new ResponseStart.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.ResponseStart.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** ResponseStart exchangeId. */
                exchangeId: string;

                /** ResponseStart status. */
                status: number;

                /** ResponseStart headers. */
                headers: tapegate.recording.v1.Header.$Properties[];

                /** ResponseStart upstreamConnectedNs. */
                upstreamConnectedNs: (number|Long);

                /** ResponseStart firstByteNs. */
                firstByteNs: (number|Long);

                /**
                 * Encodes the specified ResponseStart message. Does not implicitly {@link tapegate.recording.v1.ResponseStart.verify|verify} messages.
                 * @param message ResponseStart message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.ResponseStart.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a ResponseStart message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.ResponseStart & tapegate.recording.v1.ResponseStart.$Shape} ResponseStart
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.ResponseStart & tapegate.recording.v1.ResponseStart.$Shape;
            }

            namespace ResponseStart {

                /** Properties of a ResponseStart. */
                interface $Properties {

                    /** ResponseStart exchangeId */
                    exchangeId?: (string|null);

                    /** ResponseStart status */
                    status?: (number|null);

                    /** ResponseStart headers */
                    headers?: (tapegate.recording.v1.Header.$Properties[]|null);

                    /** ResponseStart upstreamConnectedNs */
                    upstreamConnectedNs?: (number|Long|null);

                    /** ResponseStart firstByteNs */
                    firstByteNs?: (number|Long|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a ResponseStart. */
                type $Shape = tapegate.recording.v1.ResponseStart.$Properties;
            }

            /** Outcome enum. */
            enum Outcome {

                /** OUTCOME_UNSPECIFIED value */
                OUTCOME_UNSPECIFIED = 0,

                /** COMPLETED value */
                COMPLETED = 1,

                /** CLIENT_ABORTED value */
                CLIENT_ABORTED = 2,

                /** UPSTREAM_ERROR value */
                UPSTREAM_ERROR = 3,

                /** TIMEOUT value */
                TIMEOUT = 4,

                /** DENIED value */
                DENIED = 5,

                /** REJECTED_UNRECORDABLE value */
                REJECTED_UNRECORDABLE = 6
            }

            /**
             * Properties of an ExchangeEnd.
             * @deprecated Use tapegate.recording.v1.ExchangeEnd.$Properties instead.
             */
            interface IExchangeEnd extends tapegate.recording.v1.ExchangeEnd.$Properties {
            }

            /** Represents an ExchangeEnd. */
            class ExchangeEnd {

                /**
                 * Constructs a new ExchangeEnd.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.ExchangeEnd.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** ExchangeEnd exchangeId. */
                exchangeId: string;

                /** ExchangeEnd outcome. */
                outcome: tapegate.recording.v1.Outcome;

                /** ExchangeEnd error. */
                error: string;

                /** ExchangeEnd completedNs. */
                completedNs: (number|Long);

                /** ExchangeEnd requestBytes. */
                requestBytes: (number|Long);

                /** ExchangeEnd responseBytes. */
                responseBytes: (number|Long);

                /** ExchangeEnd decision. */
                decision?: (tapegate.recording.v1.Decision.$Properties|null);

                /**
                 * Encodes the specified ExchangeEnd message. Does not implicitly {@link tapegate.recording.v1.ExchangeEnd.verify|verify} messages.
                 * @param message ExchangeEnd message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.ExchangeEnd.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes an ExchangeEnd message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.ExchangeEnd & tapegate.recording.v1.ExchangeEnd.$Shape} ExchangeEnd
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.ExchangeEnd & tapegate.recording.v1.ExchangeEnd.$Shape;
            }

            namespace ExchangeEnd {

                /** Properties of an ExchangeEnd. */
                interface $Properties {

                    /** ExchangeEnd exchangeId */
                    exchangeId?: (string|null);

                    /** ExchangeEnd outcome */
                    outcome?: (tapegate.recording.v1.Outcome|null);

                    /** ExchangeEnd error */
                    error?: (string|null);

                    /** ExchangeEnd completedNs */
                    completedNs?: (number|Long|null);

                    /** ExchangeEnd requestBytes */
                    requestBytes?: (number|Long|null);

                    /** ExchangeEnd responseBytes */
                    responseBytes?: (number|Long|null);

                    /** ExchangeEnd decision */
                    decision?: (tapegate.recording.v1.Decision.$Properties|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of an ExchangeEnd. */
                type $Shape = tapegate.recording.v1.ExchangeEnd.$Properties;
            }

            /**
             * Properties of a RecordingGap.
             * @deprecated Use tapegate.recording.v1.RecordingGap.$Properties instead.
             */
            interface IRecordingGap extends tapegate.recording.v1.RecordingGap.$Properties {
            }

            /** Represents a RecordingGap. */
            class RecordingGap {

                /**
                 * Constructs a new RecordingGap.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: tapegate.recording.v1.RecordingGap.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** RecordingGap droppedRecords. */
                droppedRecords: (number|Long);

                /** RecordingGap droppedBytes. */
                droppedBytes: (number|Long);

                /** RecordingGap fromNs. */
                fromNs: (number|Long);

                /** RecordingGap toNs. */
                toNs: (number|Long);

                /** RecordingGap reason. */
                reason: string;

                /**
                 * Encodes the specified RecordingGap message. Does not implicitly {@link tapegate.recording.v1.RecordingGap.verify|verify} messages.
                 * @param message RecordingGap message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: tapegate.recording.v1.RecordingGap.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a RecordingGap message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {tapegate.recording.v1.RecordingGap & tapegate.recording.v1.RecordingGap.$Shape} RecordingGap
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): tapegate.recording.v1.RecordingGap & tapegate.recording.v1.RecordingGap.$Shape;
            }

            namespace RecordingGap {

                /** Properties of a RecordingGap. */
                interface $Properties {

                    /** RecordingGap droppedRecords */
                    droppedRecords?: (number|Long|null);

                    /** RecordingGap droppedBytes */
                    droppedBytes?: (number|Long|null);

                    /** RecordingGap fromNs */
                    fromNs?: (number|Long|null);

                    /** RecordingGap toNs */
                    toNs?: (number|Long|null);

                    /** RecordingGap reason */
                    reason?: (string|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a RecordingGap. */
                type $Shape = tapegate.recording.v1.RecordingGap.$Properties;
            }
        }
    }
}
