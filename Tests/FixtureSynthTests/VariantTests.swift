import FixtureSynth
import Foundation
import SwiftProtobuf
import Tape
import Testing
import WebcastProto
import WireKit

@Suite("handshake-rejected")
struct HandshakeRejectedTests {
    let tape: ParsedTape

    init() throws { tape = try Tapes.rejected.get() }

    @Test("Handshake answered 200 with Handshake-Status 415 / DEVICE_BLOCKED, then an abnormal close and no frames")
    func rejection() throws {
        #expect(tape.http.count == 1 && tape.http[0].response?.status == 200)
        try #require(tape.opens.count == 1)
        let response = try #require(tape.opens[0].response)
        #expect(response.status == 200)
        #expect(response.headers.value(for: "Handshake-Status") == "415")
        #expect(response.headers.value(for: "Handshake-Msg") == "DEVICE_BLOCKED")
        #expect(response.headers.value(for: "Handshake-Options") == nil)
        #expect(tape.opens[0].subprotocol == nil)
        #expect(tape.sent.isEmpty && tape.received.isEmpty)
        try #require(tape.closes.count == 1)
        #expect(tape.closes[0].by == .abnormal && tape.closes[0].code == nil)
        #expect(tape.records.count == 3)
    }
}

@Suite("compress-none")
struct CompressNoneTests {
    let tape: ParsedTape

    init() throws { tape = try Tapes.compressNone.get() }

    @Test("Every server frame says compress_type none and carries a raw fetch result")
    func raw() throws {
        #expect(tape.messageFrames.count == 150)
        for f in tape.received {
            #expect(f.compressType == "none")
            #expect(!Inflate.looksLikeGzip(f.payload))
            let result = try ProtoMessageFetchResult(serializedBytes: f.payload)
            #expect(!result.cursor.isEmpty)
            for message in result.messages { _ = try decodeCommon(message) }
        }
        let last = try ProtoMessageFetchResult(serializedBytes: tape.messageFrames.last!.payload)
        #expect(last.messages.last?.method == "WebcastControlMessage")
        #expect(tape.sent.filter { $0.frame.payloadType == "ack" }.count
                == (try tape.received.filter { try ProtoMessageFetchResult(serializedBytes: $0.payload).needAck }.count))
    }
}

/// The corrupt session: each defect must really be in the bytes.
@Suite("corrupt-messages")
struct CorruptMessagesTests {
    let tape: ParsedTape

    init() throws { tape = try Tapes.corrupt.get() }

    /// Frames whose payload inflates and parses, with their fetch results.
    var readable: [(frame: Frame, result: ProtoMessageFetchResult)] {
        tape.messageFrames.compactMap { f in
            guard f.compressType == "gzip" || f.compressType == "none", let r = try? f.fetchResult() else { return nil }
            return (f, r)
        }
    }

    /// The one readable frame holding a message of `method` whose payload `matches`; checks it
    /// sits between valid messages.
    func defectMessage(_ method: String, _ matches: ([UInt8]) -> Bool) throws -> BaseProtoMessage {
        var found: [(ProtoMessageFetchResult, Int)] = []
        for (_, result) in readable {
            for (i, m) in result.messages.enumerated() where m.method == method && matches([UInt8](m.payload)) {
                found.append((result, i))
            }
        }
        try #require(found.count == 1, "\(method): \(found.count) matches")
        let (result, index) = found[0]
        #expect(index > 0 && index < result.messages.count - 1, "valid messages before and after")
        for (i, m) in result.messages.enumerated() where i != index {
            #expect((try? decodeCommon(m)) != nil, "neighbour \(m.method) must decode")
        }
        return result.messages[index]
    }

    @Test("The scenario lists all eleven defects")
    func listed() throws {
        #expect(Set(try scenario("corrupt-messages").defects) == Set(Scenario.Defect.allCases))
        #expect(tape.messageFrames.count == 200)
    }

    @Test("Illegal wire type 6 at field 13 in a WebcastInRoomBannerMessage")
    func illegalWireType() throws {
        let m = try defectMessage("WebcastInRoomBannerMessage") { bytes in
            (try? WebcastInRoomBannerMessage(serializedBytes: bytes)) == nil
        }
        let bytes = [UInt8](m.payload)
        // Field 1 (common) first, then the 0x6E tag right after it.
        #expect(bytes[0] == 0x0A)
        let commonLength = Int(bytes[1])  // < 128 bytes: one-byte length
        #expect(bytes[1] < 0x80)
        #expect(bytes[2 + commonLength] == 0x6E, "tag byte 0x6E = field 13, wire type 6")
        #expect(0x6E >> 3 == 13 && 0x6E & 7 == 6)
        #expect(try CommonMessageData(serializedBytes: Array(bytes[2..<(2 + commonLength)])).method == "WebcastInRoomBannerMessage")
    }

    @Test("A varint longer than 10 bytes in a WebcastLikeMessage")
    func overlongVarint() throws {
        let needle: [UInt8] = [0x18] + [UInt8](repeating: 0xFF, count: 10) + [0x01]
        let m = try defectMessage("WebcastLikeMessage") { $0.occurrences(of: needle).count == 1 }
        #expect(throws: (any Error).self) { try WebcastLikeMessage(serializedBytes: m.payload) }
    }

    @Test("A length past the end in a WebcastChatMessage")
    func lengthPastEnd() throws {
        let m = try defectMessage("WebcastChatMessage") { bytes in
            bytes.occurrences(of: [0x1A, 0xC8, 0x01]).contains { $0 + 3 + 200 > bytes.count }
        }
        let bytes = [UInt8](m.payload)
        let at = bytes.occurrences(of: [0x1A, 0xC8, 0x01]).last!
        #expect(bytes.count - (at + 3) < 200, "declares 200 bytes, fewer remain")
        #expect(throws: (any Error).self) { try WebcastChatMessage(serializedBytes: bytes) }
    }

    @Test("Invalid UTF-8 in a chat message's content")
    func invalidUTF8() throws {
        let m = try defectMessage("WebcastChatMessage") { $0.occurrences(of: [0xC3, 0x28]).count == 1 && $0.occurrences(of: [0xFF, 0xFE]).count == 1 }
        #expect(throws: (any Error).self) { try WebcastChatMessage(serializedBytes: m.payload) }
        let content: [UInt8] = Array("caf".utf8) + [0xC3, 0x28] + Array(" ok ".utf8) + [0xFF, 0xFE]
        #expect([UInt8](m.payload).occurrences(of: [0x1A, UInt8(content.count)] + content).count == 1)
    }

    @Test("An unknown method with a valid payload")
    func unknownMethod() throws {
        let m = try defectMessage("WebcastFancyNewMessage") { _ in true }
        // Its layout is a chat message's: common = 1, user = 2, text = 3.
        let message = try WebcastChatMessage(serializedBytes: m.payload)
        #expect(message.common.method == "WebcastFancyNewMessage" && message.common.msgID == m.msgID)
        #expect(message.hasUser && !message.content.isEmpty)
        #expect(!allMethods.contains(m.method))
    }

    @Test("Field 77 inside a chat message's User")
    func unknownField() throws {
        let m = try defectMessage("WebcastChatMessage") { bytes in
            guard let chat = try? WebcastChatMessage(serializedBytes: bytes) else { return false }
            return !chat.user.unknownFields.data.isEmpty
        }
        let chat = try WebcastChatMessage(serializedBytes: m.payload)
        let unknown = [UInt8](chat.user.unknownFields.data)
        // Tag of field 77, wire type 2 = varint 618 = EA 04.
        #expect(Array(unknown.prefix(2)) == [0xEA, 0x04])
        #expect(chat.unknownFields.data.isEmpty && chat.common.unknownFields.data.isEmpty)
        #expect(!chat.content.isEmpty)
    }

    @Test("A truncated gzip payload")
    func gzipTruncated() throws {
        var hits = 0
        for f in tape.messageFrames where f.compressType == "gzip" {
            do {
                _ = try Inflate.gunzip(f.payload)
            } catch {
                if case .truncated = error.reason { hits += 1 }
            }
        }
        #expect(hits == 1)
    }

    @Test("A corrupt gzip payload")
    func gzipCorrupt() throws {
        var hits = 0
        for f in tape.messageFrames where f.compressType == "gzip" && f.payload.count < 100_000 {
            do {
                _ = try Inflate.gunzip(f.payload)
            } catch {
                if case .corrupt = error.reason { hits += 1 }
            }
        }
        #expect(hits == 1)
    }

    @Test("A gzip bomb: small on the wire, 80 MiB of zeros inflated")
    func gzipBomb() throws {
        let bombs = tape.messageFrames.filter { f in
            let p = f.payload
            guard f.compressType == "gzip", p.count > 18 else { return false }
            let isize = Int(p[p.count - 4]) | Int(p[p.count - 3]) << 8 | Int(p[p.count - 2]) << 16 | Int(p[p.count - 1]) << 24
            return isize == Scenario.gzipBombSize
        }
        try #require(bombs.count == 1)
        let payload = bombs[0].payload
        #expect(payload.count < 200_000)
        #expect(throws: InflateError.self) { try Inflate.gunzip(payload, limit: 1 << 20) }
        let inflated = try Inflate.gunzip(payload, limit: Scenario.gzipBombSize)
        #expect(inflated.count == 80 << 20)
        #expect(inflated.allSatisfy { $0 == 0 })
        #expect(!tape.sent.contains { $0.frame.logID == bombs[0].frame.logID }, "nobody acks a bomb")
    }

    @Test("compress_type br whose bytes are really gzip")
    func compressTypeBr() throws {
        let frames = tape.received.filter { $0.compressType == "br" }
        try #require(frames.count == 1)
        #expect(Inflate.looksLikeGzip(frames[0].payload))
        let result = try ProtoMessageFetchResult(serializedBytes: try Inflate.gunzip(frames[0].payload))
        #expect(!result.messages.isEmpty)
        let others = Set(tape.received.map(\.compressType))
        #expect(others == ["gzip", "br"])
    }

    @Test("need_ack with an empty internal_ext, acked with \"-\"")
    func needAckEmptyExt() throws {
        let matches = readable.filter { $0.result.needAck && $0.result.internalExt.isEmpty }
        try #require(matches.count == 1)
        let ack = tape.sent.filter { $0.frame.payloadType == "ack" && $0.frame.logID == matches[0].frame.frame.logID }
        try #require(ack.count == 1)
        #expect(ack[0].payload == Array("-".utf8))
        // Every other need_ack frame has an internal_ext and its own ack.
        let acked = readable.filter { $0.result.needAck }
        #expect(tape.sent.filter { $0.frame.payloadType == "ack" }.count == acked.count)
    }

    @Test("Defects sit in separate frames with healthy frames around them; the session still ends cleanly")
    func layout() throws {
        let broken = tape.messageFrames.enumerated().filter { _, f in
            guard let result = try? f.fetchResult(), f.compressType == "gzip" else { return true }
            let userWithUnknownField = result.messages.contains { m in
                m.method == "WebcastChatMessage" && !((try? WebcastChatMessage(serializedBytes: m.payload))?.user.unknownFields.data.isEmpty ?? true)
            }
            return result.messages.contains { (try? decodeCommon($0)) == nil } || (result.needAck && result.internalExt.isEmpty) || userWithUnknownField
        }.map(\.offset)
        #expect(broken.count == Scenario.Defect.allCases.count, "\(broken)")
        #expect(zip(broken, broken.dropFirst()).allSatisfy { $1 - $0 > 5 })
        let last = try tape.messageFrames.last!.fetchResult()
        #expect(try WebcastControlMessage(serializedBytes: last.messages.last!.payload).action == 3)
        #expect(tape.closes.last?.code == 1000)
    }
}
