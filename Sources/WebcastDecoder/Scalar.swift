import JSONKit
import WireKit

/// The numeric kinds of protobuf, as a plain code: what a varint or fixed value means.
enum ScalarKind: UInt8 {
    case int32, uint32, sint32, bool, int64, uint64, sint64, fixed32, sfixed32, fixed64, sfixed64, float, double

    /// Nil for strings, bytes, messages and maps.
    init?(_ kind: FieldKind) {
        switch kind {
        case .int32, .enumeration: self = .int32
        case .uint32: self = .uint32
        case .sint32: self = .sint32
        case .bool: self = .bool
        case .int64: self = .int64
        case .uint64: self = .uint64
        case .sint64: self = .sint64
        case .fixed32: self = .fixed32
        case .sfixed32: self = .sfixed32
        case .fixed64: self = .fixed64
        case .sfixed64: self = .sfixed64
        case .float: self = .float
        case .double: self = .double
        case .string, .bytes, .message, .map: return nil
        }
    }

    /// How a packed array of this kind is laid out.
    var packedWireType: WireType {
        switch self {
        case .fixed32, .sfixed32, .float: .fixed32
        case .fixed64, .sfixed64, .double: .fixed64
        default: .varint
        }
    }

    /// The JSON of this kind's default value: what a map entry without its key or value means.
    var defaultJSON: JSONValue {
        switch self {
        case .int64, .sint64, .uint64, .fixed64, .sfixed64: .string("0")
        case .bool: .bool(false)
        default: .int(0)
        }
    }
}

/// A scalar field's value in JSON terms, shared by the tree and the encoding walks: 64-bit
/// integers as decimal strings.
enum Scalar {
    case int(Int64), bool(Bool), double(Double), signedString(Int64), unsignedString(UInt64)

    /// Nil when the wire type does not fit the kind.
    @inline(__always)
    init?(_ kind: ScalarKind, _ value: WireValue) {
        switch (kind, value) {
        case (.int32, .varint(let v)): self = .int(Int64(Int32(truncatingIfNeeded: v)))
        case (.uint32, .varint(let v)): self = .int(Int64(UInt32(truncatingIfNeeded: v)))
        case (.sint32, .varint(let v)): self = .int(Int64(Wire.zigzagDecode32(v)))
        case (.bool, .varint(let v)): self = .bool(v != 0)
        case (.int64, .varint(let v)): self = .signedString(Int64(bitPattern: v))
        case (.uint64, .varint(let v)): self = .unsignedString(v)
        case (.sint64, .varint(let v)): self = .signedString(Wire.zigzagDecode64(v))
        case (.fixed32, .fixed32(let v)): self = .int(Int64(v))
        case (.sfixed32, .fixed32(let v)): self = .int(Int64(Int32(bitPattern: v)))
        case (.float, .fixed32(let v)): self = .double(Double(Float(bitPattern: v)))
        case (.fixed64, .fixed64(let v)): self = .unsignedString(v)
        case (.sfixed64, .fixed64(let v)): self = .signedString(Int64(bitPattern: v))
        case (.double, .fixed64(let v)): self = .double(Double(bitPattern: v))
        default: return nil
        }
    }

    var json: JSONValue {
        switch self {
        case .int(let n): .int(n)
        case .bool(let b): .bool(b)
        case .double(let d): .double(d)
        case .signedString(let n): .string(String(n))
        case .unsignedString(let n): .string(String(n))
        }
    }

    /// Writes the value as a map key: a JSON string.
    func writeKey<Output: JSONTextOutput & ~Copyable>(into out: inout Output) {
        switch self {
        case .int(let n), .signedString(let n): out.int(n, quoted: true)
        case .unsignedString(let n): out.uint(n, quoted: true)
        case .bool(let b): b ? out.raw("\"true\"") : out.raw("\"false\"")
        case .double(let d): out.string(CanonicalJSON.string(.double(d)))
        }
    }

    @inline(__always)
    func write<Output: JSONTextOutput & ~Copyable>(into out: inout Output) {
        switch self {
        case .int(let n): out.int(n)
        case .bool(let b): b ? out.raw("true") : out.raw("false")
        case .double(let d): out.double(d)
        case .signedString(let n): out.int(n, quoted: true)
        case .unsignedString(let n): out.uint(n, quoted: true)
        }
    }
}
