import Foundation
import JSONKit
import Tape
import Testing
import WebcastDecoder

/// The fields written as bytes while walking must equal the tree, byte for byte and value for value.
@Suite struct EncodedFieldsTests {
    let decoder = FieldDecoder()

    /// Decodes `payload` both ways and checks that they agree; returns the encoded-path result.
    @discardableResult
    private func bothWays(_ method: String, _ payload: [UInt8]) throws -> FieldDecoding {
        let schema = try #require(decoder.schema.message(forMethod: method))
        let tree = decoder.decode(payload, as: schema)
        let encoded = decoder.decode(payload, as: schema, encoded: true)
        #expect(CanonicalJSON.encode(encoded.fields) == CanonicalJSON.encode(tree.fields))
        #expect(encoded.fields == tree.fields)
        #expect(encoded.unknown == tree.unknown)
        #expect(encoded.issues == tree.issues)
        #expect(encoded.error == tree.error)
        return encoded
    }

    private static func isEncoded(_ value: JSONValue) -> Bool {
        if case .encoded = value { return true }
        return false
    }

    @Test func everyFixtureMessageEncodesAsItsTree() throws {
        let frames = PushFrameDecoder()
        var encodedCount = 0
        for tape in GoldenTranscriptTests.tapes {
            for entry in try TapeReader(path: GoldenTranscriptTests.fixtures.appendingPathComponent(tape).path) {
                guard case .success(.wsMessage(let message)) = entry.result, message.opcode == .binary,
                      case .fetchResult(let result) = frames.decodeFrame(message.payload.bytes).body
                else { continue }
                for inner in result.messages where !inner.isUnknownMethod {
                    let walk = try bothWays(inner.method, Array(inner.payload))
                    if Self.isEncoded(walk.fields) { encodedCount += 1 }
                    // As read from the fetch result's shared JSON.
                    #expect(CanonicalJSON.string(inner.fields) == CanonicalJSON.string(walk.fields))
                }
            }
        }
        #expect(encodedCount > 100)
    }

    /// Fixture messages with bytes changed at random (seeded): whichever way the walk goes, it agrees with the tree.
    @Test func mutatedMessagesEncodeAsTheirTree() throws {
        let frames = PushFrameDecoder()
        var generator = SeededRandom(seed: 0x9E37_79B9_7F4A_7C15)
        func random(_ bound: Int) -> Int { generator.next(below: bound) }
        var checked = 0
        let tape = GoldenTranscriptTests.fixtures.appendingPathComponent("session-5min.tape").path
        for entry in try TapeReader(path: tape) where checked < 3000 {
            guard case .success(.wsMessage(let message)) = entry.result, message.opcode == .binary,
                  case .fetchResult(let result) = frames.decodeFrame(message.payload.bytes).body
            else { continue }
            for inner in result.messages where !inner.isUnknownMethod && !inner.payload.isEmpty {
                var payload = Array(inner.payload)
                for _ in 0...random(3) { payload[random(payload.count)] = UInt8(random(256)) }
                try bothWays(inner.method, payload)
                checked += 1
            }
        }
        #expect(checked >= 3000)
    }

    /// Offsets are relative to the range decoded, whichever way the walk goes; captured ranges stay absolute.
    @Test func offsetsAreRelativeToTheRange() throws {
        let schema = try #require(decoder.schema.message(forMethod: "WebcastChatMessage"))
        // A 3-byte prefix, then content "hi" (3) and an unknown field 99 (varint 1).
        let bytes: [UInt8] = [0xAA, 0xBB, 0xCC, 0x1A, 0x02, 0x68, 0x69, 0x98, 0x06, 0x01]
        let tree = decoder.decode(bytes, range: 3..<bytes.count, as: schema, capture: [3])
        let encoded = decoder.decode(bytes, range: 3..<bytes.count, as: schema, capture: [3], encoded: true)
        #expect(Self.isEncoded(encoded.fields))
        #expect(encoded.unknown == tree.unknown)
        #expect(encoded.unknown.map(\.offset) == [4])
        #expect(encoded.captured.map(\.range) == [5..<7])
        #expect(tree.captured.map(\.range) == [5..<7])
    }

    @Test func nonCanonicalWireFallsBackToTheTree() throws {
        // WebcastChatMessage: content (3) before common (1); content twice; a repeated map key; invalid UTF-8.
        let outOfOrder: [UInt8] = [0x1A, 0x01, 0x61, 0x0A, 0x00]
        #expect(!Self.isEncoded(try bothWays("WebcastChatMessage", outOfOrder).fields))
        let twice: [UInt8] = [0x1A, 0x01, 0x61, 0x1A, 0x01, 0x62]
        #expect(!Self.isEncoded(try bothWays("WebcastChatMessage", twice).fields))
        let repeatedKey: [UInt8] = [0xCA, 0x01, 0x04, 0x08, 0x01, 0x10, 0x07, 0xCA, 0x01, 0x04, 0x08, 0x01, 0x10, 0x09]
        #expect(!Self.isEncoded(try bothWays("WebcastMemberMessage", repeatedKey).fields))
        try bothWays("WebcastChatMessage", [0x1A, 0x02, 0xC3, 0x28])
        try bothWays("WebcastChatMessage", [0x1A, 0x02, 0x68, 0x69, 0x08] + Array(repeating: 0xFF, count: 10) + [0x01])
        // Canonical: a map, an unknown field, a packed array of ids split in two runs.
        let map: [UInt8] = [0xCA, 0x01, 0x04, 0x08, 0x01, 0x10, 0x07, 0xCA, 0x01, 0x02, 0x10, 0x05, 0xF8, 0x06, 0x01]
        #expect(Self.isEncoded(try bothWays("WebcastMemberMessage", map).fields))
        // String keys are compared as written: "a" twice is repeated, "a" then "ab" (or "" then "a") is not.
        let entry = { (key: String) -> [UInt8] in [0x3A, UInt8(key.utf8.count + 5), 0x0A, UInt8(key.utf8.count)] + Array(key.utf8) + [0x12, 0x01, 0x31] }
        #expect(!Self.isEncoded(try bothWays("ProtoMessageFetchResult", entry("a") + entry("a")).fields))
        #expect(Self.isEncoded(try bothWays("ProtoMessageFetchResult", entry("a") + entry("ab")).fields))
        #expect(Self.isEncoded(try bothWays("ProtoMessageFetchResult", entry("") + entry("a")).fields))
        let ids: [UInt8] = [0x12, 0x00, 0x12, 0x02, 0x01, 0x02, 0x10, 0x03]
        #expect(Self.isEncoded(try bothWays("WebcastImDeleteMessage", ids).fields))
    }
}

/// What the frame decoder reads from a frame's or fetch result's fields (payload type, the
/// compress_type header, seq_id, need_ack without internal_ext) agrees with the decoded fields,
/// however the fields were walked — on fixture frames with bytes changed at random.
@Suite struct FrameHeaderTests {
    @Test func headerValuesAgreeWithTheDecodedFields() throws {
        let decoder = PushFrameDecoder()
        var generator = SeededRandom(seed: 0x2545_F491_4F6C_DD1D)
        func random(_ bound: Int) -> Int { generator.next(below: bound) }
        var frames = 0
        for tape in GoldenTranscriptTests.tapes {
            for entry in try TapeReader(path: GoldenTranscriptTests.fixtures.appendingPathComponent(tape).path) {
                guard case .success(.wsMessage(let message)) = entry.result, message.opcode == .binary else { continue }
                var bytes = message.payload.bytes
                // Change one byte among the frame's own fields (before the payload), or none.
                if random(2) == 0, bytes.count > 1 { bytes[random(min(bytes.count, 48))] = UInt8(random(256)) }
                let frame = decoder.decodeFrame(bytes)
                let fields = frame.fields.resolved
                #expect(frame.payloadType == (fields["payload_type"]?.stringValue ?? ""))
                #expect(frame.compression.header == fields["headers"]?["compress_type"]?.stringValue)
                for error in frame.errors where error.stage != .tape {
                    #expect(error.seqID == fields["seq_id"]?.stringValue)
                }
                if case .fetchResult(let result) = frame.body {
                    let resultFields = result.fields.resolved
                    let expected = resultFields["need_ack"] == .bool(true) && (resultFields["internal_ext"]?.stringValue ?? "").isEmpty
                    let noticed = result.notices.contains { $0.kind == .ackWithoutInternalExt }
                    #expect(noticed == expected)
                }
                frames += 1
            }
        }
        #expect(frames > 2000)
    }
}

/// A small seeded generator (a 64-bit LCG), so that the mutations are the same on every run.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next(below bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
}
