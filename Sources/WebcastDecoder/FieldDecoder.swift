import Foundation
import JSONKit
import WireKit

/// A field that the schema does not declare, or whose wire type differs from the schema's:
/// how protocol changes show up.
public struct UnknownField: Sendable, Equatable {
    /// Dotted path from the top message, e.g. `WebcastChatMessage.user.77`.
    public var path: String
    public var number: Int
    public var wireType: WireType
    /// Byte offset of the field's tag within the decoded payload.
    public var offset: Int
    /// Set when the schema declares the number with another wire type: `"string"`, `"int64"`, ...
    public var schemaKind: String?
    /// The value decoded without a schema (like `protoc --decode_raw`).
    public var value: JSONValue

    public var json: JSONValue {
        var object = JSONObjectBuilder()
        object.set("path", .string(path))
        object.set("wire_type", .int(Int64(wireType.rawValue)))
        object.set("schema", schemaKind.map(JSONValue.string))
        object.set("offset", .int(Int64(offset)))
        object.set("value", value)
        return object.value
    }
}

/// A problem inside a message that did not stop its decoding, such as invalid UTF-8 in a string field.
public struct FieldIssue: Sendable, Equatable {
    public var path: String
    public var offset: Int
    public var message: String

    public var json: JSONValue {
        ["path": .string(path), "offset": .int(Int64(offset)), "error": .string(message)]
    }
}

/// The outcome of walking one message: the fields that decoded (all of them, or those
/// before `error`), what the schema did not know, and the first fatal wire error.
public struct FieldDecoding: Sendable {
    /// An object tree, or `.encoded` when asked for and the wire allowed it.
    public var fields: JSONValue
    public var unknown: [UnknownField]
    public var issues: [FieldIssue]
    public var error: WireError?
    /// Ranges of the length-delimited top-level fields the caller asked to capture, in wire order.
    public var captured: [(number: Int, range: Range<Int>)] = []
}

/// Decodes protobuf bytes by field number against a `Schema`, tolerating what the schema
/// does not declare. 64-bit integers become strings, bytes become base64, repeated fields
/// arrays, maps objects; fields are ordered by number.
public struct FieldDecoder: Sendable {
    public var schema: Schema
    public var maxDepth: Int

    public init(schema: Schema = .webcast, maxDepth: Int = 64) {
        self.schema = schema
        self.maxDepth = maxDepth
    }

    /// Room for the JSON of a walk that captures fields (a frame's, a fetch result's or an envelope's
    /// fields, a few hundred bytes): twice the bytes walked, as other walks take, would mostly be the
    /// captured payload's.
    private static let capturingWalkCapacity = 640

    /// Decodes `bytes[range]` as the message `message`; offsets in the result are relative to `range.lowerBound`.
    /// Top-level length-delimited fields numbered in `capture` are not decoded: their ranges are returned in `captured`.
    /// With `encoded`, `fields` comes as `.encoded` canonical JSON written while walking, when the wire is in
    /// canonical order and decodes cleanly; otherwise (and always when a float or double is met) as a tree.
    public func decode(_ bytes: [UInt8], range: Range<Int>? = nil, as message: MessageSchema, path: String? = nil,
                       capture: Set<Int> = [], encoded: Bool = false) -> FieldDecoding {
        decode(bytes, range: range ?? 0..<bytes.count, as: message, path: path, capture: FieldNumbers(capture), encoded: encoded)
    }

    /// `decode(_:range:as:path:capture:encoded:)` with the numbers to capture made once by the caller.
    func decode(_ bytes: [UInt8], range: Range<Int>, as message: MessageSchema, path: String? = nil,
                capture: FieldNumbers, encoded: Bool) -> FieldDecoding {
        if encoded {
            var out = JSONBuffer(capacity: capture.isEmpty ? range.count * 2 : Self.capturingWalkCapacity)
            var captured: [(number: Int, range: Range<Int>)] = []
            // A fetch result captures a handful of messages: room for them without regrowing.
            if !capture.isEmpty { captured.reserveCapacity(8) }
            if let walk = encode(bytes, range: range, as: message, path: path, capture: capture, captured: &captured, into: &out) {
                return FieldDecoding(fields: .encoded(EncodedJSON(canonical: out.copyBytes(walk.json))), unknown: walk.unknown,
                                     issues: [], error: nil, captured: captured)
            }
        }
        return decodeTree(bytes, range: range, as: message, path: path, capture: capture)
    }

    /// Writes `bytes[range]`, the message `message`, as canonical JSON at the end of `out` while walking it (as
    /// `decode` with `encoded` does), and the ranges of the fields numbered in `capture` to `captured`; nil, with
    /// `out` and `captured` as they were, when only the tree can say it right.
    func encode(_ bytes: [UInt8], range: Range<Int>, as message: MessageSchema, path: String? = nil, capture: FieldNumbers,
                captured: inout [(number: Int, range: Range<Int>)], into out: inout JSONBuffer) -> EncodedWalk? {
        let start = out.count, capturedBefore = captured.count
        var found: [EncodingWalk.FoundUnknown] = [], encoded = false
        bytes.withUnsafeBufferPointer { p in
            var encoder = EncodingWalk(table: schema.encoding, bytes: p, maxDepth: maxDepth, capture: capture)
            swap(&encoder.captured, &captured)
            encoded = encoder.encode(message.index, range: range, depth: 0, into: &out)
            swap(&encoder.captured, &captured)
            swap(&encoder.unknown, &found)
        }
        guard encoded else {
            out.removeLast(from: start)
            captured.removeLast(captured.count - capturedBefore)
            return nil
        }
        guard !found.isEmpty else { return EncodedWalk(json: start..<out.count, unknown: []) }
        let root = path ?? message.name
        let unknown = found.map {
            UnknownField(path: ([root] + $0.steps).joined(separator: "."), number: $0.field.number, wireType: $0.field.wireType,
                         offset: $0.field.offset - range.lowerBound, schemaKind: nil,
                         value: UnknownField.schemaLessValue(of: $0.field, in: bytes, maxDepth: maxDepth - $0.depth))
        }
        return EncodedWalk(json: start..<out.count, unknown: unknown)
    }

    /// Decodes `bytes[range]` as the message `message` into a tree (see `decode`).
    func decodeTree(_ bytes: [UInt8], range: Range<Int>, as message: MessageSchema, path: String? = nil,
                    capture: FieldNumbers = .none) -> FieldDecoding {
        var walk = Walk(decoder: self, bytes: bytes, base: range.lowerBound, capture: capture)
        let (fields, error) = walk.message(message, range: range, path: path ?? message.name, depth: 0)
        return FieldDecoding(fields: fields, unknown: walk.unknown, issues: walk.issues,
                             error: error.map { $0.shifted(by: -walk.base) }, captured: walk.captured)
    }

    /// Decodes `bytes[range]` without a schema, as `protoc --decode_raw` would, keyed by field number;
    /// on a wire error, what decoded before it and the error (offsets relative to `range`).
    public func decodeRaw(_ bytes: [UInt8], range: Range<Int>? = nil) -> (value: JSONValue, error: WireError?) {
        let (fields, error) = WireKit.decodeRaw(bytes, range: range, maxDepth: maxDepth)
        return (Walk.json(fields), error.map { $0.shifted(by: -(range?.lowerBound ?? 0)) })
    }
}

/// Where an encoding walk wrote a message's canonical JSON, and the fields it did not know.
struct EncodedWalk {
    var json: Range<Int>
    var unknown: [UnknownField]
}

/// A set of field numbers, tested without hashing for the numbers below 64.
struct FieldNumbers {
    private var low: UInt64 = 0
    /// Numbers from 64 on (rare); nil when there are none, so that copying the set takes no reference.
    private var others: Set<Int>?

    init(_ numbers: Set<Int>) {
        for number in numbers {
            if (0..<64).contains(number) { low |= 1 << number } else { others = (others ?? []).union([number]) }
        }
    }

    /// The one number `number`, below 64: made without a `Set`, for the sets the decoder uses on every message.
    init(_ number: Int) {
        precondition((0..<64).contains(number))
        low = 1 << number
    }

    private init(low: UInt64) {
        self.low = low
    }

    /// No numbers.
    static var none: FieldNumbers { FieldNumbers(low: 0) }

    var isEmpty: Bool { low == 0 && others == nil }

    @inline(__always)
    func contains(_ number: Int) -> Bool {
        (0..<64).contains(number) ? low & (1 << number) != 0 : others?.contains(number) ?? false
    }
}

private struct Walk {
    let decoder: FieldDecoder
    let bytes: [UInt8]
    let base: Int
    let capture: FieldNumbers
    var unknown: [UnknownField] = []
    var issues: [FieldIssue] = []
    var captured: [(number: Int, range: Range<Int>)] = []

    init(decoder: FieldDecoder, bytes: [UInt8], base: Int, capture: FieldNumbers) {
        self.decoder = decoder
        self.bytes = bytes
        self.base = base
        self.capture = capture
    }

    /// Dotted path of the message being walked, built into a string only when something is reported.
    private var pathParts: [String] = []

    private func path(_ last: String) -> String {
        (pathParts + [last]).joined(separator: ".")
    }

    /// The values of one field number, kept until the message ends so they can be ordered by number.
    private struct Slot {
        let entry: FieldEntry
        var single: JSONValue?
        var values: [JSONValue] = []
        var mapPairs: [(String, JSONValue)] = []

        init(_ entry: FieldEntry) { self.entry = entry }

        var number: Int { entry.number }

        /// A map keeps one value per key: a repeated key replaces the earlier value, as protobuf parsers do.
        mutating func setMapEntry(_ key: String, _ value: JSONValue) {
            if let at = mapPairs.firstIndex(where: { $0.0 == key }) {
                mapPairs[at].1 = value
            } else {
                mapPairs.append((key, value))
            }
        }

        var json: JSONValue? {
            if entry.isMap { return .object(mapPairs) }
            return entry.isRepeated ? .array(values) : single
        }
    }

    mutating func message(_ schema: MessageSchema, range: Range<Int>, path: String, depth: Int) -> (JSONValue, WireError?) {
        pathParts.append(path)
        defer { pathParts.removeLast() }
        var slots: [Slot] = []
        var ordered = true
        var reader = WireReader(bytes, range: range)
        var failure: WireError?
        do {
            while let field = try reader.next() {
                if depth == 0, capture.contains(field.number), case .lengthDelimited(let r) = field.value {
                    captured.append((field.number, r))
                    continue
                }
                guard let entry = schema.entry(field.number) else {
                    recordUnknown(field, path: self.path(String(field.number)), schemaKind: nil, depth: depth)
                    continue
                }
                let at: Int
                if let last = slots.indices.last, slots[last].number == field.number {
                    at = last
                } else if let existing = slots.firstIndex(where: { $0.number == field.number }) {
                    at = existing
                } else {
                    if let last = slots.last, last.number > field.number { ordered = false }
                    slots.append(Slot(entry))
                    at = slots.count - 1
                }
                if let error = decodeValue(field, declared: entry.field, depth: depth, into: &slots[at]) {
                    failure = error
                    break
                }
            }
        } catch {
            failure = error
        }
        if !ordered { slots.sort { $0.number < $1.number } }
        var pairs: [(String, JSONValue)] = []
        pairs.reserveCapacity(slots.count)
        for slot in slots {
            if let value = slot.json { pairs.append((slot.entry.field.name, value)) }
        }
        return (.object(pairs), failure)
    }

    /// Decodes one occurrence of a declared field into its slot; returns a fatal error from a nested message.
    private mutating func decodeValue(_ field: WireField, declared: FieldSchema, depth: Int, into slot: inout Slot) -> WireError? {
        let kind = declared.kind
        switch (kind, field.value) {
        case (.message, .lengthDelimited(let range)), (.map, .lengthDelimited(let range)):
            guard let index = declared.messageIndex else {
                recordUnknown(field, path: path(declared.name), schemaKind: Self.kindName(kind), depth: depth)
                return nil
            }
            guard depth < decoder.maxDepth else {
                return WireError(offset: field.offset, reason: .nestingTooDeep, fieldNumber: field.number)
            }
            let (value, error) = message(decoder.schema.messages[index], range: range, path: declared.name, depth: depth + 1)
            if case .map = kind {
                let entry = decoder.schema.messages[index]
                let key = value["key"] ?? Self.defaultValue(entry.field(1)?.kind)
                slot.setMapEntry(Self.mapKey(key), value["value"] ?? Self.defaultValue(entry.field(2)?.kind))
            } else if declared.isRepeated {
                slot.values.append(value)
            } else {
                slot.single = value
            }
            return error
        case (_, .lengthDelimited(let range)) where declared.isRepeated && ScalarKind(kind) != nil:
            do {
                slot.values += try packedValues(ScalarKind(kind)!, range: range)
            } catch {
                return error
            }
            return nil
        default:
            break
        }
        let value: JSONValue
        switch (kind, field.value) {
        case (.string, .lengthDelimited(let range)):
            if let text = text(range) {
                value = .string(text)
            } else {
                issues.append(FieldIssue(path: path(declared.name), offset: field.offset - base, message: "invalid UTF-8 in string field"))
                value = ["invalid_utf8_base64": .string(Self.base64(bytes[range]))]
            }
        case (.bytes, .lengthDelimited(let range)):
            value = .string(Self.base64(bytes[range]))
        default:
            guard let scalar = ScalarKind(kind).flatMap({ Scalar($0, field.value) })?.json else {
                recordUnknown(field, path: path(declared.name), schemaKind: Self.kindName(kind), depth: depth)
                return nil
            }
            value = scalar
        }
        if declared.isRepeated { slot.values.append(value) } else { slot.single = value }
        return nil
    }

    /// The bytes in `range` as a String when they are valid UTF-8 (checked as the encoding walk checks them).
    private func text(_ range: Range<Int>) -> String? {
        bytes.withUnsafeBufferPointer { p in
            let text = UnsafeBufferPointer(rebasing: p[range])
            return UTF8Bytes.isValid(text) ? String(decoding: text, as: UTF8.self) : nil
        }
    }

    /// The JSON of a field's default value: what a map entry without that field means.
    private static func defaultValue(_ kind: FieldKind?) -> JSONValue {
        switch kind {
        case .int64?, .sint64?, .uint64?, .fixed64?, .sfixed64?: return .string("0")
        case .bool?: return .bool(false)
        case .string?, .bytes?, nil: return .string("")
        case .message?, .map?: return .object([])
        default: return .int(0)
        }
    }

    private static func mapKey(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        default: return CanonicalJSON.string(value)
        }
    }

    private func packedValues(_ kind: ScalarKind, range: Range<Int>) throws(WireError) -> [JSONValue] {
        let reader = WireReader(bytes, range: range)
        switch kind.packedWireType {
        case .fixed32: return try reader.packedFixed32(in: range).map { Scalar(kind, .fixed32($0))?.json ?? .null }
        case .fixed64: return try reader.packedFixed64(in: range).map { Scalar(kind, .fixed64($0))?.json ?? .null }
        default: return try reader.packedVarints(in: range).map { Scalar(kind, .varint($0))?.json ?? .null }
        }
    }

    static func kindName(_ kind: FieldKind) -> String {
        switch kind {
        case .message(let name), .map(let name): return name
        default: return "\(kind)"
        }
    }

    static func base64<C: Collection<UInt8>>(_ bytes: C) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Records a field the schema cannot place, decoding its value schema-less.
    private mutating func recordUnknown(_ field: WireField, path: String, schemaKind: String?, depth: Int) {
        unknown.append(UnknownField(
            path: path, number: field.number, wireType: field.wireType, offset: field.offset - base,
            schemaKind: schemaKind, value: UnknownField.schemaLessValue(of: field, in: bytes, maxDepth: decoder.maxDepth - depth)))
    }

    /// A schema-less message keyed by field number; repeated numbers become arrays.
    static func json(_ fields: [RawField]) -> JSONValue {
        var order: [Int] = []
        var values: [Int: [JSONValue]] = [:]
        for field in fields {
            if values[field.number] == nil { order.append(field.number) }
            values[field.number, default: []].append(json(field.node))
        }
        var object = JSONObjectBuilder()
        for number in order {
            let all = values[number] ?? []
            object.set(String(number), all.count == 1 ? all[0] : .array(all))
        }
        return object.value
    }

    static func json(_ node: RawNode) -> JSONValue {
        switch node {
        case .varint(let v), .fixed64(let v): return .string(String(v))
        case .fixed32(let v): return .int(Int64(v))
        case .string(let text, _): return ["string": .string(text)]
        case .bytes(let bytes, _): return ["bytes": .string(base64(bytes))]
        case .message(let fields, _): return ["message": json(fields)]
        case .group(let fields, _): return ["group": json(fields)]
        }
    }
}

extension UnknownField {
    /// The value of a field decoded without a schema, as `protoc --decode_raw` would; a
    /// length-delimited value is told apart as a string, a message or bytes.
    static func schemaLessValue(of field: WireField, in bytes: [UInt8], maxDepth: Int) -> JSONValue {
        switch field.value {
        case .varint(let v), .fixed64(let v): return .string(String(v))
        case .fixed32(let v): return .int(Int64(v))
        case .lengthDelimited(let range):
            switch WireGuess.classify(bytes, range: range, maxDepth: maxDepth) {
            case .string: return ["string": .string(String(decoding: bytes[range], as: UTF8.self))]
            case .message: return ["message": Walk.json(WireKit.decodeRaw(bytes, range: range, maxDepth: maxDepth).fields)]
            case .bytes: return ["bytes": .string(Walk.base64(bytes[range]))]
            }
        case .group(let range):
            return ["group": Walk.json(WireKit.decodeRaw(bytes, range: range, maxDepth: maxDepth).fields)]
        }
    }
}
