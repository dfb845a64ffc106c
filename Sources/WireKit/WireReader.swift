// The field cursor: a pointer-based core shared by `WireReader` ([UInt8]) and
// `UnsafeWireReader` (UnsafeRawBufferPointer). No allocation per field.

/// Pointer-level scanning primitives. Offsets are indices relative to `p`.
@usableFromInline
enum WireScan {
    /// Reads a varint at `pos`. Varints of up to 10 bytes are accepted; bits beyond 64 in
    /// the 10th byte are discarded, like protoc, protobuf.js and SwiftProtobuf do (so a
    /// 10th byte of 0x02...0x7F is *not* an error). A 10th byte with the continuation bit
    /// set is `varintTooLong`.
    @inlinable @inline(__always)
    static func varint(_ p: UnsafePointer<UInt8>, _ pos: inout Int, _ end: Int) throws(WireError) -> UInt64 {
        var i = pos
        guard i < end else { throw WireError(offset: pos, reason: .truncatedVarint) }
        let byte = UInt64(p[i])
        i &+= 1
        if byte < 0x80 {
            pos = i
            return byte
        }
        return try varintSlow(p, &pos, end, first: byte & 0x7F, next: i)
    }

    @inlinable
    static func varintSlow(
        _ p: UnsafePointer<UInt8>, _ pos: inout Int, _ end: Int, first: UInt64, next: Int
    ) throws(WireError) -> UInt64 {
        var result = first
        var shift: UInt64 = 7
        var i = next
        while true {
            guard i < end else { throw WireError(offset: pos, reason: .truncatedVarint) }
            let byte = UInt64(p[i])
            i &+= 1
            result |= (byte & 0x7F) &<< shift
            if byte < 0x80 {
                pos = i
                return result
            }
            shift &+= 7
            if shift >= 70 { throw WireError(offset: pos, reason: .varintTooLong) }
        }
    }

    /// Reads and validates a tag; returns field number and wire type (never 6 or 7).
    @inlinable @inline(__always)
    static func tag(_ p: UnsafePointer<UInt8>, _ pos: inout Int, _ end: Int) throws(WireError) -> (Int, UInt8) {
        let start = pos
        let tag = try varint(p, &pos, end)
        let number = tag >> 3
        let wt = UInt8(truncatingIfNeeded: tag & 7)
        if number == 0 || number > UInt64(Wire.maxFieldNumber) || wt > 5 {
            try invalidTag(start: start, number: number, wt: wt)
        }
        return (Int(truncatingIfNeeded: number), wt)
    }

    @usableFromInline
    static func invalidTag(start: Int, number: UInt64, wt: UInt8) throws(WireError) {
        if number == 0 { throw WireError(offset: start, reason: .fieldNumberZero, fieldNumber: 0) }
        let n = Int(clamping: number)
        if number > UInt64(Wire.maxFieldNumber) {
            throw WireError(offset: start, reason: .fieldNumberTooLarge, fieldNumber: n)
        }
        throw WireError(offset: start, reason: .invalidWireType(wt), fieldNumber: n)
    }

    /// Reads the value of a field whose tag (`number`, `wt`, at `tagOffset`) was just read.
    /// `wt` must not be 4 (end group). `depth` is the group depth of the field being read.
    @inlinable @inline(__always)
    static func value(
        _ p: UnsafePointer<UInt8>, _ pos: inout Int, _ end: Int,
        number: Int, wt: UInt8, tagOffset: Int, depth: Int, maxDepth: Int
    ) throws(WireError) -> WireValue {
        switch wt {
        case 0:
            return .varint(try varint(p, &pos, end))
        case 2:
            let lengthOffset = pos
            let length = try varint(p, &pos, end)
            let available = end &- pos
            guard length <= UInt64(available) else {
                throw WireError(
                    offset: lengthOffset,
                    reason: .lengthPastEnd(length: Int(clamping: length), available: available),
                    fieldNumber: number)
            }
            let start = pos
            pos = start &+ Int(truncatingIfNeeded: length)
            return .lengthDelimited(start..<pos)
        case 1:
            guard end &- pos >= 8 else {
                throw WireError(offset: pos, reason: .truncatedFixed, fieldNumber: number)
            }
            let v = UnsafeRawPointer(p + pos).loadUnaligned(as: UInt64.self)
            pos &+= 8
            return .fixed64(UInt64(littleEndian: v))
        case 5:
            guard end &- pos >= 4 else {
                throw WireError(offset: pos, reason: .truncatedFixed, fieldNumber: number)
            }
            let v = UnsafeRawPointer(p + pos).loadUnaligned(as: UInt32.self)
            pos &+= 4
            return .fixed32(UInt32(littleEndian: v))
        default:  // 3: start group
            if depth > maxDepth {
                throw WireError(offset: tagOffset, reason: .nestingTooDeep, fieldNumber: number)
            }
            return .group(try skipGroup(p, &pos, end, number: number, tagOffset: tagOffset, depth: depth, maxDepth: maxDepth))
        }
    }

    /// Skips a group's content (validating it) up to and including its end tag.
    @usableFromInline
    static func skipGroup(
        _ p: UnsafePointer<UInt8>, _ pos: inout Int, _ end: Int,
        number: Int, tagOffset: Int, depth: Int, maxDepth: Int
    ) throws(WireError) -> Range<Int> {
        let contentStart = pos
        while true {
            if pos >= end {
                throw WireError(offset: tagOffset, reason: .unterminatedGroup, fieldNumber: number)
            }
            let innerTag = pos
            let (n, wt) = try tag(p, &pos, end)
            if wt == 4 {
                if n == number { return contentStart..<innerTag }
                throw WireError(offset: innerTag, reason: .unmatchedEndGroup, fieldNumber: n)
            }
            _ = try value(p, &pos, end, number: n, wt: wt, tagOffset: innerTag, depth: depth + 1, maxDepth: maxDepth)
        }
    }

    /// Reads one whole field at `pos` (< end). Commits `pos` only on success.
    @inlinable @inline(__always)
    static func field(
        _ p: UnsafePointer<UInt8>, _ position: inout Int, _ end: Int, maxDepth: Int
    ) throws(WireError) -> WireField {
        var pos = position
        let tagOffset = pos
        let (number, wt) = try tag(p, &pos, end)
        if wt == 4 {
            throw WireError(offset: tagOffset, reason: .unmatchedEndGroup, fieldNumber: number)
        }
        let v = try value(p, &pos, end, number: number, wt: wt, tagOffset: tagOffset, depth: 1, maxDepth: maxDepth)
        position = pos
        return WireField(number: number, wireType: WireType(rawValue: wt).unsafelyUnwrapped, offset: tagOffset, value: v)
    }

    @inlinable
    static func packedVarints(_ p: UnsafePointer<UInt8>, _ range: Range<Int>) throws(WireError) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(range.count)
        var pos = range.lowerBound
        while pos < range.upperBound {
            out.append(try varint(p, &pos, range.upperBound))
        }
        return out
    }
}

/// A forward cursor over the fields of one protobuf message held in a `[UInt8]`.
///
/// Offsets in fields and errors are absolute indices into `buffer`; a reader over a
/// sub-range (``init(_:range:maxGroupDepth:)`` or ``reader(for:)``) reports absolute offsets too.
/// After `next()` throws, the reader does not advance: calling it again throws the same error.
public struct WireReader: Sendable {
    /// The whole buffer (shared, never copied).
    public let buffer: [UInt8]
    /// The part of `buffer` this reader walks.
    public let bounds: Range<Int>
    /// Offset of the next tag.
    @inlinable public var position: Int { _position }
    @usableFromInline var _position: Int
    /// Maximum group nesting (a group inside a group ... ); deeper is `nestingTooDeep`.
    public var maxGroupDepth: Int

    /// A reader over all of `bytes`.
    @inlinable
    public init(_ bytes: [UInt8], maxGroupDepth: Int = 64) {
        self.init(bytes, range: 0..<bytes.count, maxGroupDepth: maxGroupDepth)
    }

    /// A reader over `range` of `bytes`; offsets stay absolute within `bytes`.
    @inlinable
    public init(_ bytes: [UInt8], range: Range<Int>, maxGroupDepth: Int = 64) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range outside buffer")
        self.buffer = bytes
        self.bounds = range
        self._position = range.lowerBound
        self.maxGroupDepth = maxGroupDepth
    }

    /// True when every field has been read.
    @inlinable
    public var isAtEnd: Bool { position >= bounds.upperBound }

    /// The next field, or nil at the clean end of the range.
    @inlinable
    public mutating func next() throws(WireError) -> WireField? {
        let end = bounds.upperBound
        if position >= end { return nil }
        var pos = _position
        let depth = maxGroupDepth
        let f = try buffer.withUnsafeBufferPointer { (b) throws(WireError) -> WireField in
            try WireScan.field(b.baseAddress.unsafelyUnwrapped, &pos, end, maxDepth: depth)
        }
        _position = pos
        return f
    }

    /// A reader over `range` of the same buffer (absolute offsets), with the same depth limit.
    @inlinable
    public func subReader(_ range: Range<Int>) -> WireReader {
        WireReader(buffer, range: range, maxGroupDepth: maxGroupDepth)
    }

    /// A reader over a length-delimited field's payload or a group's content; nil for scalars.
    @inlinable
    public func reader(for field: WireField) -> WireReader? {
        field.range.map(subReader)
    }

    /// A copy of the bytes in `range`.
    @inlinable
    public func bytes(in range: Range<Int>) -> [UInt8] { Array(buffer[range]) }

    /// The bytes in `range` as a String when they are valid UTF-8.
    public func string(in range: Range<Int>) -> String? {
        buffer.withUnsafeBufferPointer { b in
            // Validated here rather than by String(validating:as:), which is generic over the encoding
            // and looks its type metadata up at run time on every call.
            guard range.isEmpty || UTF8Scan.scan(b.baseAddress!, range) != .invalid else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self)
        }
    }

    /// Decodes a packed repeated varint field (`range` = the payload).
    /// Errors carry absolute offsets.
    @inlinable
    public func packedVarints(in range: Range<Int>) throws(WireError) -> [UInt64] {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "range outside buffer")
        if range.isEmpty { return [] }
        return try buffer.withUnsafeBufferPointer { (b) throws(WireError) -> [UInt64] in
            try WireScan.packedVarints(b.baseAddress.unsafelyUnwrapped, range)
        }
    }

    /// Decodes a packed repeated fixed32/float/sfixed32 field. A length that is not a
    /// multiple of 4 is `truncatedFixed` at the offset of the incomplete element.
    public func packedFixed32(in range: Range<Int>) throws(WireError) -> [UInt32] {
        try packedFixed(range, width: 4) { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
    }

    /// Decodes a packed repeated fixed64/double/sfixed64 field. A length that is not a
    /// multiple of 8 is `truncatedFixed` at the offset of the incomplete element.
    public func packedFixed64(in range: Range<Int>) throws(WireError) -> [UInt64] {
        try packedFixed(range, width: 8) { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    private func packedFixed<T>(
        _ range: Range<Int>, width: Int, _ load: (UnsafeRawPointer) -> T
    ) throws(WireError) -> [T] {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "range outside buffer")
        let whole = range.count / width * width
        if whole != range.count {
            throw WireError(offset: range.lowerBound + whole, reason: .truncatedFixed)
        }
        return buffer.withUnsafeBytes { raw in
            stride(from: range.lowerBound, to: range.upperBound, by: width).map { load(raw.baseAddress! + $0) }
        }
    }
}

/// A forward cursor over the fields of one protobuf message in memory the caller keeps alive,
/// for walks that must not touch a reference count per field. Offsets are relative to `base`.
public struct UnsafeWireReader {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    @usableFromInline var position: Int
    @usableFromInline let maxGroupDepth: Int

    /// A reader over `range` of the bytes at `base`.
    @inlinable
    public init(_ base: UnsafePointer<UInt8>, range: Range<Int>, maxGroupDepth: Int = 64) {
        self.base = base
        self.end = range.upperBound
        self.position = range.lowerBound
        self.maxGroupDepth = maxGroupDepth
    }

    /// The next field, or nil at the clean end of the range.
    @inlinable @inline(__always)
    public mutating func next() throws(WireError) -> WireField? {
        if position >= end { return nil }
        return try WireScan.field(base, &position, end, maxDepth: maxGroupDepth)
    }

    /// Reads a varint at `position` (below `end`) of the bytes at `base`, as in a packed array.
    @inlinable @inline(__always)
    public static func varint(_ base: UnsafePointer<UInt8>, _ position: inout Int, _ end: Int) throws(WireError) -> UInt64 {
        try WireScan.varint(base, &position, end)
    }
}
