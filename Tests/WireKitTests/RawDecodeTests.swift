import Testing
import WireKit

@Suite("Guessing and raw decode")
struct RawDecodeTests {
    @Test func classifyMessage() {
        #expect(WireGuess.classify([0x0A, 0x02, 0x68, 0x69]) == .message)
        #expect(WireGuess.classify([0x08, 0x96, 0x01]) == .message)
    }

    @Test func printableTextIsStringEvenWhenItParses() {
        // "((((" parses as {5: 40, 5: 40} but is printable text.
        let text = Array("((((".utf8)
        #expect(readAll(text).error == nil)
        #expect(WireGuess.classify(text) == .string)
        #expect(WireGuess.classify(Array("hello world".utf8)) == .string)
        #expect(WireGuess.classify(Array("héllo ✓\n".utf8)) == .string)
        #expect(WireGuess.classify([]) == .string)
    }

    @Test func nonPrintableUTF8ThatDoesNotParseIsString() {
        #expect(WireGuess.classify([0x01, 0x02]) == .string)  // field number 0: not a message
    }

    @Test func binaryIsBytes() {
        #expect(WireGuess.classify([0xFF, 0xFE, 0x00]) == .bytes)
        #expect(WireGuess.classify([0x0A, 0x05, 0x01]) == .string)  // length past end, but valid UTF-8
        #expect(WireGuess.classify([0x0A, 0x05, 0xC3]) == .bytes)  // truncated UTF-8 and truncated field
    }

    @Test func classifySubRangeAndGroupDepth() {
        let bytes: [UInt8] = [0xFF, 0x0B, 0x13, 0x14, 0x0C, 0xFF]
        #expect(WireGuess.classify(bytes, range: 1..<5) == .message)
        #expect(WireGuess.classify(bytes, range: 1..<5, maxDepth: 1) == .string)  // too deep; ASCII
        #expect(WireGuess.classify(bytes) == .bytes)
    }

    @Test func decodeRawTree() {
        // {1: 150, 2: "abc", 3: {1: 1}, 4 group {1: 2}, 5: fixed32 7, 6: bytes ff}
        let bytes: [UInt8] = [0x08, 0x96, 0x01, 0x12, 0x03, 0x61, 0x62, 0x63, 0x1A, 0x02, 0x08, 0x01,
                              0x23, 0x08, 0x02, 0x24, 0x2D, 0x07, 0, 0, 0, 0x32, 0x01, 0xFF]
        let (fields, error) = decodeRaw(bytes)
        #expect(error == nil)
        #expect(fields == [
            RawField(number: 1, offset: 0, node: .varint(150)),
            RawField(number: 2, offset: 3, node: .string("abc", range: 5..<8)),
            RawField(number: 3, offset: 8, node: .message([RawField(number: 1, offset: 10, node: .varint(1))], range: 10..<12)),
            RawField(number: 4, offset: 12, node: .group([RawField(number: 1, offset: 13, node: .varint(2))], range: 13..<15)),
            RawField(number: 5, offset: 16, node: .fixed32(7)),
            RawField(number: 6, offset: 21, node: .bytes([0xFF], range: 23..<24)),
        ])
    }

    @Test func decodeRawKeepsPrefixOnError() {
        // Two good fields, then field 13 with wire type 6 at byte 9 ("illegal tag: field no 13 wire type 6").
        let bytes: [UInt8] = [0x08, 0x2A, 0x12, 0x05, 0x0A, 0x03, 0x61, 0x62, 0x63, 0x6E, 0x01, 0x02]
        let (fields, error) = decodeRaw(bytes)
        #expect(fields == [
            RawField(number: 1, offset: 0, node: .varint(42)),
            RawField(number: 2, offset: 2, node: .message(
                [RawField(number: 1, offset: 4, node: .string("abc", range: 6..<9))], range: 4..<9)),
        ])
        #expect(error == WireError(offset: 9, reason: .invalidWireType(6), fieldNumber: 13))
        #expect(error?.description == "illegal wire type 6 for field 13 at byte 9")
    }

    @Test func decodeRawSubRangeAndDepthLimit() {
        let bytes: [UInt8] = [0x99, 0x12, 0x02, 0x08, 0x01]
        let (fields, error) = decodeRaw(bytes, range: 1..<5)
        #expect(error == nil)
        #expect(fields == [RawField(number: 2, offset: 1, node: .message([RawField(number: 1, offset: 3, node: .varint(1))], range: 3..<5))])
        let flat = decodeRaw(bytes, range: 1..<5, maxDepth: 0)
        #expect(flat.fields == [RawField(number: 2, offset: 1, node: .string("\u{8}\u{1}", range: 3..<5))])
    }
}
