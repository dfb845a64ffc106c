import Foundation
import JSONKit
import WireKit

/// Decodes push frames and fetch results, keyed on field numbers, never letting one bad
/// message stop the others.
public struct PushFrameDecoder: Sendable {
    /// Inflated size above which a payload is a decode error (a gzip bomb guard).
    public var inflateLimit: Int
    public var fields: FieldDecoder
    /// The schemas of the frame and its envelopes, looked up once.
    private let frameSchema, fetchResultSchema, envelopeSchema: MessageSchema

    public init(inflateLimit: Int = Inflate.defaultLimit, schema: Schema = .webcast) {
        self.inflateLimit = inflateLimit
        self.fields = FieldDecoder(schema: schema)
        func messageSchema(_ name: String) -> MessageSchema {
            guard let message = schema.message(forMethod: name) else {
                fatalError("Proto/webcast.proto must declare \(name)")
            }
            return message
        }
        frameSchema = messageSchema("WebcastPushFrame")
        fetchResultSchema = messageSchema("ProtoMessageFetchResult")
        envelopeSchema = messageSchema("BaseProtoMessage")
    }

    private var schema: Schema { fields.schema }

    /// The numbers of the fields captured rather than decoded: a frame's payload, a fetch result's messages,
    /// a message's payload.
    private static var framePayload: FieldNumbers { FieldNumbers(8) }
    private static var fetchResultMessages: FieldNumbers { FieldNumbers(1) }
    private static var messagePayload: FieldNumbers { FieldNumbers(2) }

    /// Decodes one WebSocket binary message as a `WebcastPushFrame`.
    public func decodeFrame(_ bytes: [UInt8]) -> DecodedFrame {
        let walk = fields.decode(bytes, range: bytes.indices, as: frameSchema, capture: Self.framePayload, encoded: true)
        var errors: [DecodeError] = []
        var notices: [Notice] = []
        if let error = walk.error {
            errors.append(DecodeError(stage: .frame, message: error.description, offset: error.offset,
                                      payloadSize: bytes.count, partial: walk.fields))
        }
        let frameFields = walk.fields
        let payload = walk.captured.last.map { bytes[$0.range] } ?? []
        let (seqID, payloadType, compressType) = Self.frameHeader(bytes, fields: frameFields)
        var report = CompressionReport(header: compressType, gzipMagic: Inflate.looksLikeGzip(payload))

        let notGzip = "compress_type is gzip but the payload has no gzip magic; decoded as is"
        switch (compressType, report.gzipMagic) {
        case ("gzip", false):
            notices.append(Notice(kind: .compressionMismatch, detail: notGzip))
        case ("none", true), (nil, true):
            notices.append(Notice(kind: .compressionMismatch, detail: "compress_type is \(compressType ?? "absent") but the payload starts with the gzip magic; inflated"))
        default:
            break
        }
        if let compressType, compressType != "gzip", compressType != "none" {
            notices.append(Notice(kind: .unknownCompressType, detail: "new compress_type '\(compressType)'"))
        }

        var body = FrameBody.empty
        let inner: [UInt8]
        if !report.gzipMagic {
            inner = Array(payload)
        } else {
            do {
                inner = try Inflate.gunzip(payload, limit: inflateLimit)
                report.inflatedSize = inner.count
            } catch {
                var failure = DecodeError(stage: .inflate, message: error.description, offset: error.inputOffset,
                                          payloadSize: payload.count)
                failure.seqID = seqID.map(String.init)
                errors.append(failure)
                return DecodedFrame(fields: frameFields, unknown: walk.unknown, payloadType: payloadType,
                                    payloadSize: payload.count, compression: report, body: .empty,
                                    errors: errors, notices: notices)
            }
        }
        if !inner.isEmpty || payloadType == "ack" {
            let earlier = errors.count
            body = decodeBody(payloadType: payloadType, inner, errors: &errors, notices: &notices)
            if compressType == "gzip" && !report.gzipMagic {
                // The likely cause of what failed: say it where the failure is named.
                for index in errors.indices.dropFirst(earlier) { errors[index].message += " (\(notGzip))" }
            }
        }
        if !errors.isEmpty {
            let seqID = seqID.map(String.init)
            for index in errors.indices { errors[index].seqID = seqID }
        }
        return DecodedFrame(fields: frameFields, unknown: walk.unknown, payloadType: payloadType,
                            payloadSize: payload.count, compression: report, body: body,
                            errors: errors, notices: notices)
    }

    /// The schema of each client payload type that is not a fetch result (`msg` and
    /// `im_enter_room_resp` carry fetch results).
    private static let payloadSchemas = [
        "hb": "HeartBeatMessage",
        "im_enter_room": "WebcastImEnterRoomMessage",
    ]

    private func decodeBody(payloadType: String, _ bytes: [UInt8], errors: inout [DecodeError], notices: inout [Notice]) -> FrameBody {
        switch payloadType {
        case "msg", "im_enter_room_resp":
            let result = decodeFetchResult(bytes)
            errors += result.errors
            notices += result.notices
            return .fetchResult(result)
        case "ack":
            if let text = String(validating: bytes, as: UTF8.self) { return .text(text) }
            errors.append(DecodeError(stage: .payload, message: "ack payload is not UTF-8", payloadSize: bytes.count))
            return .raw(.string(Data(bytes).base64EncodedString()))
        default:
            if let name = Self.payloadSchemas[payloadType], let message = schema.message(forMethod: name) {
                let walk = fields.decode(bytes, as: message)
                if let error = walk.error {
                    errors.append(DecodeError(stage: .payload, message: error.description, method: name,
                                              offset: error.offset, payloadSize: bytes.count, partial: walk.fields))
                }
                return .message(name: name, walk)
            }
            notices.append(Notice(kind: .unknownPayloadType, detail: "payload_type '\(payloadType)' decoded without a schema"))
            let (value, error) = fields.decodeRaw(bytes)
            if let error {
                errors.append(DecodeError(stage: .payload, message: error.description, offset: error.offset,
                                          payloadSize: bytes.count, partial: value))
            }
            return .raw(value)
        }
    }

    /// Decodes a `ProtoMessageFetchResult`: the envelope fields, then every inner message by its `method`.
    /// The JSON of the envelopes and messages is written in one buffer and kept in one array that they share.
    public func decodeFetchResult(_ bytes: [UInt8]) -> DecodedFetchResult {
        let walk = fields.decode(bytes, range: bytes.indices, as: fetchResultSchema, capture: Self.fetchResultMessages, encoded: true)
        var errors: [DecodeError] = []
        var notices: [Notice] = []
        var messages: [DecodedMessage] = []
        var placed: [MessageJSON] = []
        messages.reserveCapacity(walk.captured.count)
        placed.reserveCapacity(walk.captured.count)
        var json = JSONBuffer(capacity: bytes.count * 2 + 256)
        var captured: [(number: Int, range: Range<Int>)] = []
        for (index, entry) in walk.captured.enumerated() {
            decodeMessage(bytes, envelope: entry.range, index: index, captured: &captured, json: &json,
                          into: &messages, placed: &placed)
            if let error = messages[index].error { errors.append(error) }
            if !messages[index].issues.isEmpty { errors += messages[index].issueErrors }
            if messages[index].isUnknownMethod {
                notices.append(Notice(kind: .unknownMethod, detail: "method '\(messages[index].method)' decoded without a schema"))
            }
        }
        let shared = json.copyBytes(0..<json.count)
        for index in messages.indices { placed[index].fill(&messages[index], from: shared) }
        if let error = walk.error {
            errors.append(DecodeError(stage: .fetchResult, message: error.description, offset: error.offset,
                                      payloadSize: bytes.count, partial: walk.fields))
        }
        if Self.needsAckWithoutInternalExt(bytes, fields: walk.fields) {
            notices.append(Notice(kind: .ackWithoutInternalExt, detail: "need_ack is set but internal_ext is empty"))
        }
        return DecodedFetchResult(fields: walk.fields, unknown: walk.unknown, messages: messages,
                                  errors: errors, notices: notices)
    }

    /// Appends to `messages` the message whose envelope is `bytes[range]`, and to `placed` where its JSON was
    /// written in `json` (as `decodeMessage(method:schema:…)` says); `captured` is room for the envelope's payload range.
    private func decodeMessage(_ bytes: [UInt8], envelope range: Range<Int>, index: Int,
                               captured: inout [(number: Int, range: Range<Int>)], json: inout JSONBuffer,
                               into messages: inout [DecodedMessage], placed: inout [MessageJSON]) {
        captured.removeAll(keepingCapacity: true)
        var envelope: FieldDecoding
        let envelopeJSON: Range<Int>?
        if let walk = fields.encode(bytes, range: range, as: envelopeSchema, capture: Self.messagePayload,
                                    captured: &captured, into: &json) {
            envelope = FieldDecoding(fields: .null, unknown: walk.unknown, issues: [], error: nil)
            envelopeJSON = walk.json
        } else {
            envelope = fields.decodeTree(bytes, range: range, as: envelopeSchema, capture: Self.messagePayload)
            captured = envelope.captured
            envelope.captured = []
            envelopeJSON = nil
        }
        let (method, messageSchema, msgID) = methodAndID(bytes, envelope: range)
        let payload = captured.last?.range ?? range.lowerBound..<range.lowerBound
        if let error = envelope.error {
            messages.append(DecodedMessage(
                index: index, method: method, envelope: envelope.fields, msgID: msgID,
                payload: bytes[payload], fields: .object([]), isUnknownMethod: false, unknown: envelope.unknown,
                issues: envelope.issues,
                error: DecodeError(stage: .message, message: "envelope: \(error.description)", method: method,
                                   index: index, offset: error.offset, payloadSize: range.count, partial: envelope.fields)))
            placed.append(MessageJSON(envelope: envelopeJSON))
            return
        }
        decodeMessage(method: method, schema: messageSchema, in: bytes, payload: payload, index: index,
                      envelope: envelope, msgID: msgID, json: &json, into: &messages, placed: &placed)
        placed[placed.count - 1].envelope = envelopeJSON
    }

    /// A frame's `seq_id`, `payload_type` and `compress_type` header. Fields that came `.encoded` are clean and
    /// canonical (each singular field once, each map key once, valid UTF-8): read from the wire, not parsed back.
    private static func frameHeader(_ bytes: [UInt8], fields: JSONValue) -> (seqID: Int64?, payloadType: String, compressType: String?) {
        guard case .encoded = fields else {
            return (fields["seq_id"]?.stringValue.flatMap { Int64($0) }, fields["payload_type"]?.stringValue ?? "",
                    fields["headers"]?["compress_type"]?.stringValue)
        }
        var header: (seqID: Int64?, payloadType: String, compressType: String?) = (nil, "", nil)
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            func text(_ range: Range<Int>) -> String {
                let text = UnsafeBufferPointer(rebasing: buffer[range])
                return UTF8Bytes.isValid(text) ? String(decoding: text, as: UTF8.self) : ""
            }
            var reader = UnsafeWireReader(base, range: 0..<buffer.count)
            while let field = try? reader.next() {
                switch (field.number, field.value) {
                case (1, .varint(let v)): header.seqID = Int64(bitPattern: v)
                case (7, .lengthDelimited(let r)): header.payloadType = text(r)
                case (5, .lengthDelimited(let r)):
                    var entry = UnsafeWireReader(base, range: r)
                    var key: Range<Int>?, value: Range<Int>?
                    while let part = try? entry.next(), case .lengthDelimited(let range) = part.value {
                        if part.number == 1 { key = range } else { value = range }
                    }
                    if let key, Self.isCompressType(UnsafeBufferPointer(rebasing: buffer[key])) {
                        header.compressType = value.map(text) ?? ""
                    }
                default: break
                }
            }
        }
        return header
    }

    /// Whether `bytes` say `compress_type`.
    private static func isCompressType(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let name: StaticString = "compress_type"
        return bytes.count == name.utf8CodeUnitCount && memcmp(bytes.baseAddress!, name.utf8Start, bytes.count) == 0
    }

    /// Whether a fetch result sets `need_ack` with an empty `internal_ext` (read as `frameHeader` reads).
    private static func needsAckWithoutInternalExt(_ bytes: [UInt8], fields: JSONValue) -> Bool {
        guard case .encoded = fields else {
            return fields["need_ack"] == .bool(true) && (fields["internal_ext"]?.stringValue ?? "").isEmpty
        }
        var needAck = false, internalExt = false
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var reader = UnsafeWireReader(base, range: 0..<buffer.count)
            while let field = try? reader.next() {
                switch (field.number, field.value) {
                case (9, .varint(let v)): needAck = v != 0
                case (5, .lengthDelimited(let r)): internalExt = !r.isEmpty
                default: break
                }
            }
        }
        return needAck && !internalExt
    }

    /// An envelope's `method` (1, when valid UTF-8) with its schema, and `msg_id` (3), read from the wire
    /// as its decoded fields hold them: the last occurrence of each, up to a wire error. A known method's
    /// name is found from its bytes (every top-level message is in `schema.methods`), without making a string.
    private func methodAndID(_ bytes: [UInt8], envelope range: Range<Int>) -> (method: String, schema: MessageSchema?, msgID: Int64?) {
        // Worked out in the closure, returned outside it: a closure's result passes through generic code.
        var method = "", known: MessageSchema?, msgID: Int64?
        bytes.withUnsafeBufferPointer { buffer in
            var name: Range<Int>?
            var reader = UnsafeWireReader(buffer.baseAddress!, range: range)
            while let field = try? reader.next() {
                switch (field.number, field.value) {
                case (1, .lengthDelimited(let r)): name = r
                case (3, .varint(let v)): msgID = Int64(bitPattern: v)
                default: break
                }
            }
            guard let name else { return }
            let text = UnsafeBufferPointer(rebasing: buffer[name])
            known = fields.schema.methods.message(named: text)
            if let known {
                method = known.name
            } else if UTF8Bytes.isValid(text) {  // not a top-level message's name, so without a schema
                method = String(decoding: text, as: UTF8.self)
            }
        }
        return (method, known, msgID)
    }

    /// Decodes one inner message by its method name; an unknown method is decoded schema-less.
    public func decodeMessage(method: String, payload: [UInt8], index: Int = 0) -> DecodedMessage {
        var json = JSONBuffer(capacity: payload.count * 2)
        var messages: [DecodedMessage] = [], placed: [MessageJSON] = []
        decodeMessage(method: method, schema: schema.message(forMethod: method), in: payload, payload: payload.indices,
                      index: index, envelope: FieldDecoding(fields: .object([]), unknown: [], issues: [], error: nil), msgID: nil,
                      json: &json, into: &messages, placed: &placed)
        placed[0].fill(&messages[0], from: json.copyBytes(0..<json.count))
        return messages[0]
    }

    /// Appends to `messages` the message in `bytes[payload]` with what its `envelope` (empty when it came in none) says
    /// beside it: decoded in place (offsets relative to the payload). When the walk writes its fields as JSON, they
    /// go to `json`, and the message holds `.null` for them until `MessageJSON.fill` puts them in; where they went
    /// is appended to `placed`.
    private func decodeMessage(method: String, schema messageSchema: MessageSchema?, in bytes: [UInt8], payload: Range<Int>,
                               index: Int, envelope: FieldDecoding, msgID: Int64?, json: inout JSONBuffer,
                               into messages: inout [DecodedMessage], placed: inout [MessageJSON]) {
        var place = MessageJSON()
        var noCaptures: [(number: Int, range: Range<Int>)] = []
        let fields: JSONValue, unknown: [UnknownField], issues: [FieldIssue], error: WireError?
        if let messageSchema, let walk = self.fields.encode(bytes, range: payload, as: messageSchema, capture: .none,
                                                            captured: &noCaptures, into: &json) {
            (fields, unknown, issues, error) = (.null, walk.unknown, [], nil)
            place.fields = walk.json
        } else if let messageSchema {
            let walk = self.fields.decodeTree(bytes, range: payload, as: messageSchema)
            (fields, unknown, issues, error) = (walk.fields, walk.unknown, walk.issues, walk.error)
        } else {
            (fields, error) = self.fields.decodeRaw(bytes, range: payload)
            (unknown, issues) = ([], [])
        }
        messages.append(DecodedMessage(
            index: index, method: method, envelope: envelope.fields, msgID: msgID,
            payload: bytes[payload], fields: fields, isUnknownMethod: messageSchema == nil,
            unknown: envelope.unknown.isEmpty ? unknown : envelope.unknown + unknown,
            issues: envelope.issues.isEmpty ? issues : envelope.issues + issues,
            error: error.map {
                DecodeError(stage: .message, message: $0.description, method: method, index: index,
                            offset: $0.offset, payloadSize: payload.count, partial: fields)
            }))
        placed.append(place)
    }
}

/// Where a message's envelope and fields were written as JSON in the buffer of its fetch result, when they were.
private struct MessageJSON {
    var envelope: Range<Int>?
    var fields: Range<Int>?

    /// Puts the JSON into `message`, from `shared`: the buffer's bytes.
    func fill(_ message: inout DecodedMessage, from shared: [UInt8]) {
        if let envelope { message.envelope = .encoded(EncodedJSON(canonical: shared[envelope])) }
        if let fields { message.fields = .encoded(EncodedJSON(canonical: shared[fields])) }
    }
}
