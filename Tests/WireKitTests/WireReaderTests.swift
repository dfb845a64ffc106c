import Testing
@testable import WireKit

/// Reads every field; returns the fields and the first error.
func readAll(_ bytes: [UInt8], maxGroupDepth: Int = 64) -> (fields: [WireField], error: WireError?) {
    var reader = WireReader(bytes, maxGroupDepth: maxGroupDepth)
    var fields: [WireField] = []
    do {
        while let f = try reader.next() { fields.append(f) }
        return (fields, nil)
    } catch {
        return (fields, error)
    }
}

func varintBytes(_ v: UInt64) -> [UInt8] {
    var out: [UInt8] = []
    Wire.appendVarint(v, to: &out)
    return out
}

@Suite("WireReader")
struct WireReaderTests {
    @Test("varint edge values", arguments: [
        (0, [0x00]),
        (127, [0x7F]),
        (128, [0x80, 0x01]),
        (150, [0x96, 0x01]),
        (UInt64(UInt32.max), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ] as [(UInt64, [UInt8])])
    func varintEdges(value: UInt64, encoded: [UInt8]) throws {
        #expect(varintBytes(value) == encoded)
        var reader = WireReader([0x08] + encoded)
        let f = try #require(try reader.next())
        #expect(f.number == 1)
        #expect(f.wireType == .varint)
        #expect(f.value == .varint(value))
        #expect(try reader.next() == nil)
        #expect(reader.isAtEnd)
    }

    @Test func negativeInt32IsTenByteVarint() throws {
        let encoded = varintBytes(UInt64(bitPattern: Int64(Int32(-2))))
        #expect(encoded.count == 10)
        var reader = WireReader([0x10] + encoded)
        let f = try #require(try reader.next())
        guard case .varint(let v) = f.value else { Issue.record("not a varint"); return }
        #expect(Wire.int32(v) == -2)
        #expect(Wire.int64(v) == -2)
        #expect(f.number == 2)
    }

    @Test func tenthByteOverflowBitsAreDiscarded() throws {
        // Documented decision: like protoc/protobuf.js/SwiftProtobuf, bits beyond 64 are dropped.
        let bytes: [UInt8] = [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x7F]
        let (fields, error) = readAll(bytes)
        #expect(error == nil)
        #expect(fields.first?.value == .varint(UInt64.max))
    }

    @Test func elevenByteVarintIsTooLong() {
        let bytes: [UInt8] = [0x08, 0x01, 0x10] + [UInt8](repeating: 0xFF, count: 10) + [0x01]
        let (fields, error) = readAll(bytes)
        #expect(fields.count == 1)
        #expect(error == WireError(offset: 3, reason: .varintTooLong))
        #expect(error?.description == "varint longer than 10 bytes at byte 3")
    }

    @Test func truncatedVarintValueAndTag() {
        #expect(readAll([0x08, 0x96]).error == WireError(offset: 1, reason: .truncatedVarint))
        #expect(readAll([0x08, 0x01, 0x80]).error == WireError(offset: 2, reason: .truncatedVarint))
        // A length prefix that is itself truncated.
        #expect(readAll([0x0A, 0x80]).error == WireError(offset: 1, reason: .truncatedVarint))
    }

    @Test func invalidWireTypes() {
        // field 13, wire type 6 = 0x6E; field 13 wire type 7 = 0x6F
        let six = readAll([0x08, 0x01, 0x6E, 0x00])
        #expect(six.fields.count == 1)
        #expect(six.error == WireError(offset: 2, reason: .invalidWireType(6), fieldNumber: 13))
        #expect(six.error?.description == "illegal wire type 6 for field 13 at byte 2")
        let seven = readAll([0x6F])
        #expect(seven.error == WireError(offset: 0, reason: .invalidWireType(7), fieldNumber: 13))
    }

    @Test func fieldNumberLimits() throws {
        #expect(readAll([0x08, 0x01, 0x02, 0x00]).error == WireError(offset: 2, reason: .fieldNumberZero, fieldNumber: 0))
        // 2^29 << 3 = 2^32: one past the largest field number.
        let tooLarge = readAll([0x80, 0x80, 0x80, 0x80, 0x10, 0x00])
        #expect(tooLarge.error?.reason == .fieldNumberTooLarge)
        #expect(tooLarge.error?.offset == 0)
        #expect(tooLarge.error?.fieldNumber == 536_870_912)
        // The largest legal field number, varint 0.
        var max: [UInt8] = []
        Wire.appendTag(field: Wire.maxFieldNumber, wireType: .varint, to: &max)
        #expect(max == [0xF8, 0xFF, 0xFF, 0xFF, 0x0F])
        let ok = readAll(max + [0x00])
        #expect(ok.error == nil)
        #expect(ok.fields.first?.number == 536_870_911)
    }

    @Test func lengthPastEnd() {
        let r = readAll([0x08, 0x01, 0x0A, 0x05, 0x61, 0x62])
        #expect(r.error == WireError(offset: 3, reason: .lengthPastEnd(length: 5, available: 2), fieldNumber: 1))
        #expect(r.error?.description == "length 5 past end of data (2 bytes left) at byte 3")
        // A huge length does not overflow.
        let huge = readAll([0x0A] + varintBytes(UInt64.max))
        #expect(huge.error?.reason == .lengthPastEnd(length: Int.max, available: 0))
    }

    @Test func truncatedFixed() {
        #expect(readAll([0x0D, 0x01, 0x02, 0x03]).error == WireError(offset: 1, reason: .truncatedFixed, fieldNumber: 1))
        #expect(readAll([0x08, 0x00, 0x11] + [UInt8](repeating: 0, count: 7)).error
            == WireError(offset: 3, reason: .truncatedFixed, fieldNumber: 2))
    }

    @Test func groupErrors() {
        // End group with no open group (field 1, wire type 4 = 0x0C).
        #expect(readAll([0x08, 0x01, 0x0C]).error == WireError(offset: 2, reason: .unmatchedEndGroup, fieldNumber: 1))
        // Group 1 closed by end-group 2 (0x14).
        #expect(readAll([0x0B, 0x08, 0x01, 0x14]).error == WireError(offset: 3, reason: .unmatchedEndGroup, fieldNumber: 2))
        // Group never closed: error at the start tag.
        #expect(readAll([0x08, 0x01, 0x0B, 0x08, 0x01]).error == WireError(offset: 2, reason: .unterminatedGroup, fieldNumber: 1))
        // Three nested groups with a limit of two: error at the third start tag.
        let nested: [UInt8] = [0x0B, 0x13, 0x1B, 0x1C, 0x14, 0x0C]
        #expect(readAll(nested, maxGroupDepth: 2).error == WireError(offset: 2, reason: .nestingTooDeep, fieldNumber: 3))
        let ok = readAll(nested, maxGroupDepth: 3)
        #expect(ok.error == nil)
        #expect(ok.fields == [WireField(number: 1, wireType: .startGroup, offset: 0, value: .group(1..<5))])
    }

    @Test func errorIsStickyAndPositionDoesNotAdvance() {
        var reader = WireReader([0x08, 0x01, 0x6E])
        #expect(throws: WireError.self) {
            while try reader.next() != nil {}
        }
        #expect(reader.position == 2)
        do {
            _ = try reader.next()
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 2)
        }
    }

    @Test func nestedMessagesAndGroupsWithAbsoluteOffsets() throws {
        // {1: 150, 2: {1: "hi", 3: fixed32 1}, 3 group {4: 1}, 5: fixed64 2}
        let inner: [UInt8] = [0x0A, 0x02, 0x68, 0x69, 0x1D, 0x01, 0x00, 0x00, 0x00]
        let bytes: [UInt8] = [0x08, 0x96, 0x01, 0x12, UInt8(inner.count)] + inner
            + [0x1B, 0x20, 0x01, 0x1C] + [0x29, 0x02, 0, 0, 0, 0, 0, 0, 0]
        let (fields, error) = readAll(bytes)
        #expect(error == nil)
        #expect(fields.map(\.number) == [1, 2, 3, 5])
        #expect(fields.map(\.offset) == [0, 3, 14, 18])
        #expect(fields[0].value == .varint(150))
        #expect(fields[1].value == .lengthDelimited(5..<14))
        #expect(fields[2].value == .group(15..<17))
        #expect(fields[3].value == .fixed64(2))

        let outer = WireReader(bytes)
        var sub = try #require(outer.reader(for: fields[1]))
        let a = try #require(try sub.next())
        #expect(a.offset == 5)
        #expect(a.value == .lengthDelimited(7..<9))
        #expect(outer.string(in: 7..<9) == "hi")
        let b = try #require(try sub.next())
        #expect(b == WireField(number: 3, wireType: .fixed32, offset: 9, value: .fixed32(1)))
        #expect(try sub.next() == nil)

        var group = try #require(outer.reader(for: fields[2]))
        #expect(try group.next() == WireField(number: 4, wireType: .varint, offset: 15, value: .varint(1)))
        #expect(try group.next() == nil)

    }

    @Test func subReaderErrorsUseAbsoluteOffsets() {
        // Field 2 holds a payload whose second field has wire type 7.
        let bytes: [UInt8] = [0x08, 0x01, 0x12, 0x03, 0x08, 0x01, 0x0F]
        var sub = WireReader(bytes, range: 4..<7)
        do {
            while try sub.next() != nil {}
            Issue.record("expected an error")
        } catch {
            #expect(error == WireError(offset: 6, reason: .invalidWireType(7), fieldNumber: 1))
            #expect(error.shifted(by: -4).offset == 2)
        }
    }

    @Test func packedFields() throws {
        let payload: [UInt8] = [0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05]  // 3, 270, 86942
        let bytes: [UInt8] = [0x22, UInt8(payload.count)] + payload
        let reader = WireReader(bytes)
        #expect(try reader.packedVarints(in: 2..<8) == [3, 270, 86942])
        #expect(throws: WireError(offset: 5, reason: .truncatedVarint)) {
            try reader.packedVarints(in: 2..<7)
        }
        let fixed: [UInt8] = [0x01, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]
        let fr = WireReader(fixed)
        #expect(try fr.packedFixed32(in: 0..<8) == [1, UInt32.max])
        #expect(throws: WireError(offset: 8, reason: .truncatedFixed)) { try fr.packedFixed32(in: 0..<9) }
        #expect(try fr.packedFixed64(in: 0..<8) == [0xFFFF_FFFF_0000_0001])
        #expect(throws: WireError(offset: 0, reason: .truncatedFixed)) { try fr.packedFixed64(in: 0..<4) }
    }

    @Test func zigzag() {
        #expect(Wire.zigzagDecode32(0) == 0)
        #expect(Wire.zigzagDecode32(1) == -1)
        #expect(Wire.zigzagDecode32(2) == 1)
        #expect(Wire.zigzagDecode32(4_294_967_294) == Int32.max)
        #expect(Wire.zigzagDecode32(4_294_967_295) == Int32.min)
        #expect(Wire.zigzagDecode64(UInt64.max) == Int64.min)
        #expect(Wire.zigzagDecode64(UInt64.max - 1) == Int64.max)
        for v: Int64 in [0, -1, 1, Int64.min, Int64.max, -123_456_789] {
            #expect(Wire.zigzagDecode64(Wire.zigzagEncode64(v)) == v)
        }
        for v: Int32 in [0, -1, 1, Int32.min, Int32.max] {
            #expect(Wire.zigzagDecode32(Wire.zigzagEncode32(v)) == v)
        }
    }
}
