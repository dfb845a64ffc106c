import Foundation
import JSONKit
import Tape
import Transcript

/// Where a decoded record came from in its tape.
public struct RecordContext: Sendable {
    /// The tape line of the record.
    public var line: Int
    public var timeMicros: UInt64
    public var conn: Int?

    public init(line: Int, timeMicros: UInt64, conn: Int?) {
        self.line = line
        self.timeMicros = timeMicros
        self.conn = conn
    }

    /// Room for the keys of a record, the most any has, so that building one allocates once.
    static let recordKeys = 16

    /// The leading keys of every transcript record: `type` (or `event`) first, then its place in the tape.
    func start(_ typeKey: String, _ type: String) -> JSONObjectBuilder {
        var object = JSONObjectBuilder(capacity: Self.recordKeys)
        start(typeKey, type, in: &object)
        return object
    }

    /// Sets the leading keys of a record in `object`, as `start(_:_:)` does.
    func start<Object: JSONObjectSink>(_ typeKey: String, _ type: String, in object: inout Object) {
        object.set(typeKey, .string(type))
        object.set("line", .int(Int64(line)))
        object.set("t_us", .int(Int64(timeMicros)))
        object.set("conn", conn.map { .int(Int64($0)) })
    }
}

/// Renders decoded frames and tape records as `wire` transcript records.
public enum WireTranscript {
    public static func http(_ exchange: HTTPExchange, context: RecordContext) -> JSONValue {
        var object = context.start("type", "http")
        object.set("method", .string(exchange.request.method))
        object.set("url", .string(exchange.request.url))
        object.set("request_bytes", .int(Int64(exchange.request.body.count)))
        if let response = exchange.response {
            object.set("status", .int(Int64(response.status)))
            object.set("content_type", response.headers.first { $0.name.lowercased() == "content-type" }.map { .string($0.value) })
            object.set("response_bytes", .int(Int64(response.body.count)))
        }
        object.set("error", exchange.error.map(JSONValue.string))
        return object.value
    }

    public static func open(_ open: WebSocketOpen, context: RecordContext) -> JSONValue {
        var object = context.start("type", "ws_open")
        object.set("url", .string(open.url))
        object.set("status", open.response.map { .int(Int64($0.status)) })
        object.set("subprotocol", open.subprotocol.map(JSONValue.string))
        let handshake = (open.response?.headers ?? []).filter { $0.name.lowercased().hasPrefix("handshake-") }
        if !handshake.isEmpty {
            object.set("handshake", .object(handshake.map { ($0.name, .string($0.value)) }))
        }
        object.set("error", open.error.map(JSONValue.string))
        return object.value
    }

    public static func close(_ close: WebSocketClose, context: RecordContext) -> JSONValue {
        var object = context.start("type", "ws_close")
        object.set("code", close.code.map { .int(Int64($0)) })
        object.set("reason", .string(close.reason))
        object.set("by", .string(close.by.rawValue))
        return object.value
    }

    public static func gap(_ gap: CaptureGap, context: RecordContext) -> JSONValue {
        var object = context.start("type", "gap")
        object.set("dir", .string(gap.direction.rawValue))
        object.set("length", .int(Int64(gap.length)))
        return object.value
    }

    /// A non-binary WebSocket message: its opcode and text.
    public static func textMessage(_ message: WebSocketMessage, context: RecordContext) -> JSONValue {
        var object = context.start("type", "frame")
        object.set("dir", .string(message.direction.rawValue))
        object.set("opcode", .string(message.opcode.name ?? String(message.opcode.rawValue)))
        object.set("size", .int(Int64(message.payload.count)))
        object.set("text", message.payload.text.map(JSONValue.string) ?? .string(message.payload.data.base64EncodedString()))
        return object.value
    }

    /// The records of one binary push frame: the frame, then its fetch result and messages, then errors and notices.
    public static func frame(_ frame: DecodedFrame, message: WebSocketMessage, context: RecordContext) -> [JSONValue] {
        var records = JSONRecords()
        self.frame(frame, message: message, context: context, into: &records)
        return records.records
    }

    /// Adds the records of one binary push frame to `sink`, as `frame(_:message:context:)` returns them.
    public static func frame<Sink: JSONRecordSink>(_ frame: DecodedFrame, message: WebSocketMessage, context: RecordContext,
                                                   into sink: inout Sink) {
        sink.addObject(capacity: RecordContext.recordKeys) { object in
            context.start("type", "frame", in: &object)
            object.set("dir", .string(message.direction.rawValue))
            object.set("size", .int(Int64(message.payload.count)))
            if message.compressed { object.set("ws_compressed", .bool(true)) }
            object.set("fields", frame.fields)
            object.set("payload_size", .int(Int64(frame.payloadSize)))
            var compression = JSONObjectBuilder()
            compression.set("header", frame.compression.header.map(JSONValue.string))
            compression.set("gzip_magic", .bool(frame.compression.gzipMagic))
            compression.set("inflated_size", frame.compression.inflatedSize.map { .int(Int64($0)) })
            object.set("compression", compression.value)
            var unknown = frame.unknown
            switch frame.body {
            case .fetchResult, .empty:
                break
            case .message(let name, let walk):
                object.set("payload_schema", .string(name))
                object.set("payload", walk.fields)
                unknown += walk.unknown
            case .text(let text):
                object.set("payload", ["text": .string(text)])
            case .raw(let value):
                object.set("payload_raw", value)
            }
            setUnknown(unknown, on: &object)
        }
        if case .fetchResult(let result) = frame.body {
            fetchResult(result, context: context, includeProblems: false, into: &sink)
        }
        problems(errors: frame.errors, notices: frame.notices, context: context).forEach { sink.add($0) }
    }

    /// The records of a fetch result: one `fetch_result`, one `message` per inner message and,
    /// when `includeProblems`, its decode errors and notices.
    public static func fetchResult(_ result: DecodedFetchResult, context: RecordContext, includeProblems: Bool = true) -> [JSONValue] {
        var records = JSONRecords()
        fetchResult(result, context: context, includeProblems: includeProblems, into: &records)
        return records.records
    }

    /// Adds the records of a fetch result to `sink`, as `fetchResult(_:context:includeProblems:)` returns them.
    public static func fetchResult<Sink: JSONRecordSink>(_ result: DecodedFetchResult, context: RecordContext,
                                                         includeProblems: Bool = true, into sink: inout Sink) {
        sink.addObject(capacity: RecordContext.recordKeys) { head in
            context.start("type", "fetch_result", in: &head)
            head.set("fields", result.fields)
            head.set("message_count", .int(Int64(result.messages.count)))
            setUnknown(result.unknown, on: &head)
        }
        for message in result.messages {
            sink.addObject(capacity: RecordContext.recordKeys) { object in
                context.start("type", "message", in: &object)
                object.set("index", .int(Int64(message.index)))
                object.set("method", .string(message.method))
                object.set("msg_id", message.msgID.map { .string(String($0)) })
                object.set("envelope", message.envelope)
                if message.isUnknownMethod { object.set("schema", .string("none")) }
                object.set("fields", message.fields)
                setUnknown(message.unknown, on: &object)
                if !message.issues.isEmpty { object.set("issues", .array(message.issues.map(\.json))) }
                if message.error != nil { object.set("decode_error", .bool(true)) }
            }
        }
        if includeProblems {
            problems(errors: result.errors, notices: result.notices, context: context).forEach { sink.add($0) }
        }
    }

    /// `decode_error` and `notice` records.
    public static func problems(errors: [DecodeError], notices: [Notice], context: RecordContext) -> [JSONValue] {
        errors.map { $0.record(.wire, context: context) } + notices.map { notice in
            var object = context.start("type", "notice")
            object.set("kind", .string(notice.kind.rawValue))
            object.set("detail", .string(notice.detail))
            return object.value
        }
    }


    private static func setUnknown<Object: JSONObjectSink>(_ unknown: [UnknownField], on object: inout Object) {
        if !unknown.isEmpty { object.set("unknown", .array(unknown.map(\.json))) }
    }
}

extension DecodeError {
    /// Its `decode_error` record in `view`: `type` in the wire view, with the payload size and
    /// what decoded before the error; `event` in the events view.
    public func record(_ view: TranscriptView, context: RecordContext) -> JSONValue {
        var object = context.start(view == .wire ? "type" : "event", "decode_error")
        object.set("stage", .string(stage.rawValue))
        object.set("seq_id", seqID.map(JSONValue.string))
        object.set("method", method.map(JSONValue.string))
        object.set("index", index.map { .int(Int64($0)) })
        object.set("offset", offset.map { .int(Int64($0)) })
        if view == .wire { object.set("payload_size", payloadSize.map { .int(Int64($0)) }) }
        object.set("error", .string(message))
        if view == .wire { object.set("partial", partial) }
        return object.value
    }
}
