/// A JSON value whose objects keep their keys in the order they were built or read,
/// so that a transcript serializes the same way on every machine.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// An integer that fits JSON numbers exactly (|n| < 2^53). 64-bit ids go in `.string`.
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// A value already written as canonical JSON, carried as bytes so that it serializes without a tree.
    /// Reading it parses the bytes (see `resolved`).
    case encoded(EncodedJSON)

    /// The value itself, or for `.encoded` the value its bytes parse to.
    public var resolved: JSONValue {
        if case .encoded(let encoded) = self { return encoded.value }
        return self
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.encoded(a), .encoded(b)) where a.bytes == b.bytes: return true
        case (.encoded, _), (_, .encoded): return lhs.resolved == rhs.resolved
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b || (a.isNaN && b.isNaN)
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value under `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = resolved else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    public var stringValue: String? {
        if case .string(let s) = resolved { return s }
        return nil
    }

    public var intValue: Int64? {
        switch resolved {
        case .int(let n): return n
        case .string(let s): return Int64(s)
        default: return nil
        }
    }

    /// "a string", "an object", ...: for error messages.
    public var typeName: String {
        switch resolved {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        case .encoded: "a value"
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = resolved { return a }
        return nil
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}

/// Builds a JSON object key by key, keeping insertion order.
public struct JSONObjectBuilder: JSONObjectSink, Sendable {
    public private(set) var pairs: [(String, JSONValue)] = []

    public init() {}

    /// An empty object with room for `capacity` keys before it grows.
    public init(capacity: Int) {
        pairs.reserveCapacity(capacity)
    }

    public mutating func set(_ key: String, _ value: JSONValue) {
        pairs.append((key, value))
    }

    public var value: JSONValue { .object(pairs) }
}

/// The canonical JSON text of one value (as `JSONWriter` writes it), kept as bytes.
/// Parsing it back gives integral numbers as `.int`.
public struct EncodedJSON: Sendable, Equatable {
    /// Often a slice of a larger buffer, shared with the JSON of other values decoded with it.
    public let bytes: ArraySlice<UInt8>

    /// `bytes` must hold exactly one JSON value in canonical form.
    public init(canonical bytes: [UInt8]) {
        self.bytes = bytes[...]
    }

    /// `bytes` must hold exactly one JSON value in canonical form.
    public init(canonical bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    /// The parsed value.
    public var value: JSONValue {
        (try? bytes.withUnsafeBufferPointer { p throws(JSONParseError) in try JSONParser.parse(p) }) ?? .null
    }
}
