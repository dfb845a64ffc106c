import FixtureSynth
import Foundation
import SwiftProtobuf
import Tape
import Testing
import WebcastProto
import WireKit

/// The changed-protocol fixture set: each variant carries its change, and nothing else differs
/// from the base.
@Suite("changed-protocol variants")
struct ProtocolVariantTests {
    let base: ParsedTape

    init() throws { base = try ParsedTape(bytes: Synthesizer.tape(for: ProtocolVariant.base)) }

    func variant(_ variant: ProtocolVariant) throws -> ParsedTape {
        try ParsedTape(bytes: Synthesizer.tape(for: variant.apply(to: ProtocolVariant.base)))
    }

    /// Each record's time, kind and direction: the same when a variant draws the same randomness.
    func outline(_ tape: ParsedTape) -> [String] {
        tape.records.map { record in
            switch record {
            case .wsMessage(let m): "\(m.timeMicros) \(m.direction.rawValue)"
            default: "\(record.timeMicros)"
            }
        }
    }

    @Test("The base is small, valid and healthy")
    func baseScenario() throws {
        try ProtocolVariant.base.validate()
        #expect(base.messageFrames.count == 150)
        #expect(base.opens.first?.response?.status == 101)
    }

    @Test("Every variant but the rejected handshake keeps the base's records, times and directions", arguments: ProtocolVariant.allCases.filter { $0 != .handshakeRejected })
    func sameOutline(_ variant: ProtocolVariant) throws {
        let changed = try self.variant(variant)
        #expect(outline(changed) == outline(base))
        #expect(changed.records != base.records)
    }

    @Test("user-field: every viewer's User carries field 1095")
    func userField() throws {
        let chats = try innerMessages(try variant(.userField)).filter { $0.message.method == "WebcastChatMessage" }
        try #require(!chats.isEmpty)
        for (_, message) in chats {
            let user = try WebcastChatMessage(serializedBytes: message.payload).user
            let unknown = [UInt8](user.unknownFields.data)
            // Tag of field 1095, wire type 2: varint 8762 = BA 44.
            #expect(Array(unknown.prefix(2)) == [0xBA, 0x44])
        }
    }

    @Test("renamed-method: chat arrives as WebcastCommentMessage, envelope and common alike")
    func renamedMethod() throws {
        let before = try innerMessages(base).filter { $0.message.method == "WebcastChatMessage" }.count
        let messages = try innerMessages(try variant(.renamedMethod)).map(\.message)
        let renamed = messages.filter { $0.method == Scenario.renamedChatMethod }
        #expect(renamed.count == before && before > 0)
        #expect(!messages.contains { $0.method == "WebcastChatMessage" })
        #expect(try renamed.allSatisfy { try WebcastChatMessage(serializedBytes: $0.payload).common.method == Scenario.renamedChatMethod })
    }

    @Test("new-compress-type: frames say deflate and carry raw deflate")
    func newCompressType() throws {
        let tape = try variant(.newCompressType)
        for frame in tape.received {
            #expect(frame.compressType == "deflate")
            #expect(!Inflate.looksLikeGzip(frame.payload))
            _ = try ProtoMessageFetchResult(serializedBytes: try Inflate.inflate(frame.payload, format: .raw))
        }
    }

    @Test("need-ack-empty-internal-ext: every need_ack result has an empty internal_ext, acked with \"-\"")
    func needAckEmptyInternalExt() throws {
        let tape = try variant(.needAckEmptyInternalExt)
        let needAck = try tape.messageFrames.map { try $0.fetchResult() }.filter(\.needAck)
        #expect(!needAck.isEmpty && needAck.allSatisfy { $0.internalExt.isEmpty })
        let acks = tape.sent.filter { $0.frame.payloadType == "ack" }
        #expect(acks.count == needAck.count && acks.allSatisfy { $0.payload == Array("-".utf8) })
    }

    @Test("handshake-rejected-417: HTTP 200 with Handshake-Status 417, no frames")
    func handshakeRejected() throws {
        let tape = try variant(.handshakeRejected)
        let response = try #require(tape.opens.first?.response)
        #expect(response.status == 200)
        #expect(response.headers.value(for: "Handshake-Status") == "417")
        #expect(response.headers.value(for: "Handshake-Msg") == "illegal secret key")
        #expect(tape.received.isEmpty)
    }

    @Test("signing-stub: a fetch body of about a hundred bytes naming a foreign push server, which the client follows")
    func signingStub() throws {
        let tape = try variant(.signingStub)
        let body = try #require(tape.http.first?.response?.body.bytes)
        let stub = try ProtoMessageFetchResult(serializedBytes: body)
        #expect(body.count < 300 && (base.http.first?.response?.body.count ?? 0) > 4 * body.count)
        #expect(stub.messages.isEmpty && stub.routeParams.isEmpty && stub.internalExt.isEmpty)
        #expect(stub.pushServer == ProtocolVariant.foreignPushServer)
        #expect(tape.opens.first?.url.hasPrefix(ProtocolVariant.foreignPushServer + "?") == true)
    }

    @Test("field-wire-type: WebcastLikeMessage.count arrives length-delimited, as its digits")
    func fieldWireType() throws {
        let likes = try innerMessages(try variant(.fieldWireType)).filter { $0.message.method == "WebcastLikeMessage" }
        let original = try innerMessages(base).filter { $0.message.method == "WebcastLikeMessage" }
        try #require(likes.count == original.count && !likes.isEmpty)
        for (changed, before) in zip(likes, original) {
            let count = try WebcastLikeMessage(serializedBytes: before.message.payload).count
            let bytes = [UInt8](changed.message.payload)
            #expect(bytes.suffix(2 + String(count).utf8.count) == ArraySlice([0x12, UInt8(String(count).utf8.count)] + Array(String(count).utf8)))
            let decoded = try WebcastLikeMessage(serializedBytes: changed.message.payload)
            #expect(decoded.count == 0 && !decoded.unknownFields.data.isEmpty, "the schema's count is not there")
        }
    }
}
