import JSONKit

/// Where in the pipeline a decode error happened.
public enum DecodeStage: String, Sendable {
    case tape, frame, inflate, fetchResult = "fetch_result", message, payload, http
}

/// Something that could not be decoded. It never stops the rest of the stream:
/// it becomes a `decode_error` record beside everything that did decode.
public struct DecodeError: Sendable, Equatable {
    public var stage: DecodeStage
    public var message: String
    /// The inner message's method, for message-level errors.
    public var method: String?
    /// The inner message's index within its fetch result.
    public var index: Int?
    /// The `seq_id` of the push frame it came in, when known.
    public var seqID: String?
    /// Byte offset of the failure within the bytes of `stage` (frame, inflated payload or message payload).
    public var offset: Int?
    public var payloadSize: Int?
    /// What decoded before the failure.
    public var partial: JSONValue?

    public init(stage: DecodeStage, message: String, method: String? = nil, index: Int? = nil,
                offset: Int? = nil, payloadSize: Int? = nil, partial: JSONValue? = nil) {
        self.stage = stage
        self.message = message
        self.method = method
        self.index = index
        self.offset = offset
        self.payloadSize = payloadSize
        self.partial = partial
    }
}

/// A fact worth reporting that is not an error: a protocol change in the making.
public struct Notice: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case compressionMismatch = "compression_mismatch"
        case unknownCompressType = "unknown_compress_type"
        case unknownMethod = "unknown_method"
        case unknownPayloadType = "unknown_payload_type"
        case ackWithoutInternalExt = "need_ack_without_internal_ext"
    }

    public var kind: Kind
    public var detail: String

    public init(kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }
}

/// How a frame's payload was compressed: what the header said, what the bytes said, what was done.
public struct CompressionReport: Sendable, Equatable {
    /// The `compress_type` header, if present.
    public var header: String?
    /// Whether the payload starts with the gzip magic `1f 8b 08`.
    public var gzipMagic: Bool
    /// Size after inflation, when the payload was inflated.
    public var inflatedSize: Int?
}

/// One inner message of a fetch result.
public struct DecodedMessage: Sendable {
    public var index: Int
    public var method: String
    /// The envelope's fields (method, msg_id, msg_type, ...) without the payload.
    public var envelope: JSONValue
    /// The envelope's `msg_id`.
    public var msgID: Int64?
    /// The message's own bytes: a slice of the fetch result it came in, which is not copied.
    public var payload: ArraySlice<UInt8>
    /// The decoded fields; for an unknown method, the schema-less decode. Usually `.encoded`
    /// (canonical JSON written while decoding): read it through subscripts or `resolved`.
    public var fields: JSONValue
    /// True when the method has no schema and `fields` is schema-less.
    public var isUnknownMethod: Bool
    public var unknown: [UnknownField]
    public var issues: [FieldIssue]
    public var error: DecodeError?

    /// The issues as decode errors, so that they are reported where errors are: the message
    /// itself still decoded, with the offending values kept as bytes.
    public var issueErrors: [DecodeError] {
        issues.map {
            DecodeError(stage: .message, message: "\($0.path): \($0.message) at byte \($0.offset)", method: method, index: index,
                        offset: $0.offset, payloadSize: payload.count)
        }
    }
}

/// The payload of a `msg` frame, or the body of a signing service's `/webcast/fetch`.
public struct DecodedFetchResult: Sendable {
    /// Every field but `messages`.
    public var fields: JSONValue
    public var unknown: [UnknownField]
    public var messages: [DecodedMessage]
    public var errors: [DecodeError]
    public var notices: [Notice]

    public init(fields: JSONValue, unknown: [UnknownField], messages: [DecodedMessage], errors: [DecodeError], notices: [Notice]) {
        self.fields = fields
        self.unknown = unknown
        self.messages = messages
        self.errors = errors
        self.notices = notices
    }
}

/// What a push frame carried, by `payload_type`.
public enum FrameBody: Sendable {
    /// `msg`: a fetch result.
    case fetchResult(DecodedFetchResult)
    /// `hb`, `im_enter_room`, `im_enter_room_resp` and other payloads with a schema.
    case message(name: String, FieldDecoding)
    /// `ack`: the UTF-8 bytes of `internal_ext`.
    case text(String)
    /// An unknown payload type, decoded schema-less.
    case raw(JSONValue)
    case empty
}

/// One decoded `WebcastPushFrame`.
public struct DecodedFrame: Sendable {
    /// The frame's fields, without `payload`.
    public var fields: JSONValue
    public var unknown: [UnknownField]
    public var payloadType: String
    public var payloadSize: Int
    public var compression: CompressionReport
    public var body: FrameBody
    public var errors: [DecodeError]
    public var notices: [Notice]
}
