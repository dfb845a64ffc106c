// Core value types of the schema-less protobuf wire reader.

/// The six protobuf wire types (3 bits of every tag). Values 6 and 7 are illegal.
public enum WireType: UInt8, Sendable, Hashable, CaseIterable {
    /// Base-128 varint (int32, int64, uint*, sint*, bool, enum).
    case varint = 0
    /// Little-endian 8 bytes (fixed64, sfixed64, double).
    case fixed64 = 1
    /// Length prefix followed by that many bytes (string, bytes, message, packed).
    case lengthDelimited = 2
    /// Start of a (deprecated) group; ends with an `endGroup` tag of the same number.
    case startGroup = 3
    /// End of a group.
    case endGroup = 4
    /// Little-endian 4 bytes (fixed32, sfixed32, float).
    case fixed32 = 5
}

/// A decode failure at a precise byte offset.
///
/// `offset` is absolute within the buffer given to the reader (see ``WireReader/init(_:range:)``):
/// - varint errors: where the varint starts (tag, value or length prefix);
/// - `invalidWireType`, `fieldNumberZero`, `fieldNumberTooLarge`, `unmatchedEndGroup`,
///   `nestingTooDeep`, `unterminatedGroup`: where the offending tag starts;
/// - `lengthPastEnd`: where the length prefix starts (`available` counts the bytes after it);
/// - `truncatedFixed`: where the fixed-width value starts.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why decoding stopped.
    public enum Reason: Sendable, Hashable {
        /// The data ends inside a varint.
        case truncatedVarint
        /// A varint whose 10th byte still has the continuation bit set (more than 10 bytes).
        case varintTooLong
        /// Wire type 6 or 7.
        case invalidWireType(UInt8)
        /// A tag with field number 0.
        case fieldNumberZero
        /// A field number above 536,870,911 (2^29 - 1).
        case fieldNumberTooLarge
        /// A length prefix larger than the bytes left after it.
        case lengthPastEnd(length: Int, available: Int)
        /// The data ends inside a fixed32/fixed64 value.
        case truncatedFixed
        /// An end-group tag with no open group, or closing a group of another number.
        case unmatchedEndGroup
        /// The data ends before a group's end-group tag.
        case unterminatedGroup
        /// Groups nested deeper than the reader's limit.
        case nestingTooDeep
    }

    /// Absolute byte offset of the failure (see the type documentation).
    public var offset: Int
    /// Why decoding stopped.
    public var reason: Reason
    /// The field number of the offending tag, when the tag was decoded.
    public var fieldNumber: Int?

    /// Creates an error.
    @inlinable
    public init(offset: Int, reason: Reason, fieldNumber: Int? = nil) {
        self.offset = offset
        self.reason = reason
        self.fieldNumber = fieldNumber
    }

    /// The same error with `offset` moved by `delta` (for errors found in a copied sub-buffer).
    public func shifted(by delta: Int) -> WireError {
        var copy = self
        copy.offset += delta
        return copy
    }

    /// e.g. "illegal wire type 6 for field 13 at byte 57".
    public var description: String {
        let what: String
        switch reason {
        case .truncatedVarint: what = "truncated varint"
        case .varintTooLong: what = "varint longer than 10 bytes"
        case .invalidWireType(let t):
            what = fieldNumber.map { "illegal wire type \(t) for field \($0)" } ?? "illegal wire type \(t)"
        case .fieldNumberZero: what = "field number 0"
        case .fieldNumberTooLarge:
            what = fieldNumber.map { "field number \($0) too large" } ?? "field number too large"
        case .lengthPastEnd(let length, let available):
            what = "length \(length) past end of data (\(available) bytes left)"
        case .truncatedFixed: what = "truncated fixed-width value"
        case .unmatchedEndGroup:
            what = fieldNumber.map { "unmatched end-group tag for field \($0)" } ?? "unmatched end-group tag"
        case .unterminatedGroup:
            what = fieldNumber.map { "unterminated group for field \($0)" } ?? "unterminated group"
        case .nestingTooDeep: what = "groups nested too deep"
        }
        return "\(what) at byte \(offset)"
    }
}

/// The value of one field; length-delimited and group contents are ranges into the
/// reader's buffer (absolute indices, no copy).
public enum WireValue: Sendable, Hashable {
    /// Raw varint (use ``Wire`` helpers for signed / zigzag interpretations).
    case varint(UInt64)
    /// Raw 8 bytes, little-endian.
    case fixed64(UInt64)
    /// Raw 4 bytes, little-endian.
    case fixed32(UInt32)
    /// The payload bytes (after the length prefix).
    case lengthDelimited(Range<Int>)
    /// The group's content: from after the start tag to the start of the end-group tag.
    case group(Range<Int>)
}

/// One decoded field.
public struct WireField: Sendable, Hashable {
    /// Field number (1 ... 2^29-1).
    public var number: Int
    /// Wire type from the tag (never `.endGroup`: groups are returned whole).
    public var wireType: WireType
    /// Absolute byte offset of the tag.
    public var offset: Int
    /// The value.
    public var value: WireValue

    /// Creates a field.
    @inlinable
    public init(number: Int, wireType: WireType, offset: Int, value: WireValue) {
        self.number = number
        self.wireType = wireType
        self.offset = offset
        self.value = value
    }

    /// The payload range of a length-delimited field or the content of a group.
    @inlinable
    public var range: Range<Int>? {
        switch value {
        case .lengthDelimited(let r), .group(let r): return r
        default: return nil
        }
    }

    /// The integer of a varint, fixed64 or fixed32 field.
    @inlinable
    public var integer: UInt64? {
        switch value {
        case .varint(let v), .fixed64(let v): return v
        case .fixed32(let v): return UInt64(v)
        default: return nil
        }
    }
}

/// Scalar helpers for interpreting raw wire values.
public enum Wire {
    /// Largest legal field number (2^29 - 1).
    public static let maxFieldNumber = 536_870_911

    /// Zigzag-decodes a `sint32` varint (uses the low 32 bits).
    @inlinable
    public static func zigzagDecode32(_ v: UInt64) -> Int32 {
        let n = UInt32(truncatingIfNeeded: v)
        return Int32(bitPattern: (n >> 1) ^ (0 &- (n & 1)))
    }

    /// Zigzag-decodes a `sint64` varint.
    @inlinable
    public static func zigzagDecode64(_ v: UInt64) -> Int64 {
        Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    /// Zigzag-encodes a `sint32`.
    @inlinable
    public static func zigzagEncode32(_ v: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: (v << 1) ^ (v >> 31)))
    }

    /// Zigzag-encodes a `sint64`.
    @inlinable
    public static func zigzagEncode64(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    /// Interprets a varint as `int32` (negative int32 values are sent as 10-byte varints).
    @inlinable
    public static func int32(_ v: UInt64) -> Int32 { Int32(truncatingIfNeeded: v) }

    /// Interprets a varint as `int64`.
    @inlinable
    public static func int64(_ v: UInt64) -> Int64 { Int64(bitPattern: v) }

    /// Appends `value` as a varint (1 ... 10 bytes).
    @inlinable
    public static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// Appends a tag for `field` with `wireType`.
    @inlinable
    public static func appendTag(field: Int, wireType: WireType, to out: inout [UInt8]) {
        appendVarint(UInt64(field) << 3 | UInt64(wireType.rawValue), to: &out)
    }
}
