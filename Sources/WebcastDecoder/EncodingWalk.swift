import Foundation
import JSONKit
import WireKit

/// The schema flattened into plain values in one allocation, as the encoding walk reads it:
/// looking a field up copies no strings and takes no reference counts.
final class EncodingTable: @unchecked Sendable {
    /// One declared field, or `.absent`.
    struct Field {
        enum Shape: UInt8 {
            case absent, integral, floating, string, bytes, message, map
            /// A message or map whose message the schema lacks.
            case unresolved
        }

        var shape: Shape = .absent
        var scalar: ScalarKind = .int32
        var isRepeated = false
        /// What opens and closes the field's values in JSON (`{}` for a map, `[]` when repeated); 0 when nothing.
        var open: UInt8 = 0
        var close: UInt8 = 0
        /// For message and map fields: the position of their message in `Schema.messages`.
        var nested: Int32 = 0
        /// The field's key as canonical JSON writes it after another field (`,"name":`), a range of `keys`;
        /// the first field of an object leaves out the comma.
        var keyStart: Int32 = 0
        var keyCount: Int32 = 0
    }

    /// Fields numbered below this are looked up by position; others (rare) in `sparse`.
    private static let denseLimit = 4096
    private let fields: UnsafeMutableBufferPointer<Field>
    /// Per message: where its fields start in `fields`, and how many numbers they cover.
    private let starts: UnsafeMutableBufferPointer<(start: Int, count: Int)>
    private let sparse: [Int: Field]
    let keys: UnsafeMutableBufferPointer<UInt8>
    /// Field names by message and number, for the path of an unknown field.
    private let names: [Int: String]

    init(_ messages: [MessageSchema]) {
        var counts: [Int] = []
        var sparse: [Int: Field] = [:]
        var keyBytes: [UInt8] = []
        var names: [Int: String] = [:]
        var entries: [(message: Int, field: FieldSchema)] = []
        for (index, message) in messages.enumerated() {
            let dense = message.fields.keys.filter { $0 < Self.denseLimit }
            counts.append((dense.max() ?? -1) + 1)
            entries += message.fields.values.map { (index, $0) }
        }
        starts = .allocate(capacity: max(1, counts.count))
        var total = 0
        for (index, count) in counts.enumerated() {
            starts[index] = (total, count)
            total += count
        }
        fields = .allocate(capacity: max(1, total))
        fields.initialize(repeating: Field())
        for (message, schema) in entries {
            var field = Field(schema)
            var writer = JSONWriter(capacity: schema.name.utf8.count + 4)
            writer.raw(",")
            writer.string(schema.name)
            writer.raw(":")
            field.keyStart = Int32(keyBytes.count)
            field.keyCount = Int32(writer.bytes.count)
            keyBytes += writer.bytes
            names[Self.sparseKey(message, schema.number)] = schema.name
            if schema.number < Self.denseLimit {
                fields[starts[message].start + schema.number] = field
            } else {
                sparse[Self.sparseKey(message, schema.number)] = field
            }
        }
        self.sparse = sparse
        self.names = names
        // Padded so that any key can be copied in whole 32-byte moves.
        keys = .allocate(capacity: keyBytes.count + JSONBuffer.padding)
        keys.initialize(repeating: 0)
        _ = keys.initialize(from: keyBytes)
    }

    deinit {
        fields.deallocate()
        starts.deallocate()
        keys.deallocate()
    }

    /// The fields of message `message` numbered below `denseLimit`, by number: looked up once per message walked.
    @inline(__always)
    func denseFields(_ message: Int) -> UnsafeBufferPointer<Field> {
        let (start, count) = starts[message]
        return UnsafeBufferPointer(rebasing: fields[start..<(start + count)])
    }

    /// The field `number` of message `message`, whose fields below `denseLimit` are `dense`; `.absent` when the
    /// schema does not declare it.
    @inline(__always)
    func field(_ message: Int, _ number: Int, dense: UnsafeBufferPointer<Field>) -> Field {
        if number < dense.count { return dense[number] }
        return number < Self.denseLimit || sparse.isEmpty ? Field() : sparse[Self.sparseKey(message, number)] ?? Field()
    }

    /// The field `number` of message `message`; `.absent` when the schema does not declare it.
    func field(_ message: Int, _ number: Int) -> Field {
        field(message, number, dense: denseFields(message))
    }

    /// The name of field `number` of message `message`, or the number when the schema does not declare it.
    func name(_ message: Int, _ number: Int) -> String {
        names[Self.sparseKey(message, number)] ?? String(number)
    }

    private static func sparseKey(_ message: Int, _ number: Int) -> Int { message << 32 | number }
}

extension EncodingTable.Field {
    init(_ schema: FieldSchema) {
        isRepeated = schema.isRepeated
        switch schema.kind {
        case .float, .double: shape = .floating
        case .string: shape = .string
        case .bytes: shape = .bytes
        case .message: shape = schema.messageIndex == nil ? .unresolved : .message
        case .map: shape = schema.messageIndex == nil ? .unresolved : .map
        default: shape = .integral
        }
        scalar = ScalarKind(schema.kind) ?? .int32
        nested = Int32(schema.messageIndex ?? 0)
        if shape == .map {
            (open, close) = (UInt8(ascii: "{"), UInt8(ascii: "}"))
        } else if isRepeated {
            (open, close) = (UInt8(ascii: "["), UInt8(ascii: "]"))
        }
    }
}

/// Writes a message as canonical JSON while walking its wire bytes, exactly as the decoded tree
/// would serialize — or gives up (returns false) when only the tree can say it right: fields out
/// of number order, a singular field seen twice, a repeated map key, a wire error, a value the
/// schema cannot place, invalid UTF-8, a float or double (whose tree keeps `.double`).
struct EncodingWalk {
    private let table: EncodingTable
    private let base: UnsafePointer<UInt8>
    private let maxDepth: Int
    private let capture: FieldNumbers
    /// The fields the schema does not declare, in wire order; the caller decodes their values.
    var unknown: [FoundUnknown] = []
    /// The ranges of the top-level fields numbered in `capture`, appended in wire order.
    var captured: [(number: Int, range: Range<Int>)] = []

    /// A field that the schema does not declare, found at `depth`: `steps` is its path below the message walked.
    struct FoundUnknown {
        var steps: [String]
        var field: WireField
        var depth: Int
    }

    /// `bytes` must hold the bytes walked, kept alive by the caller for the walk.
    init(table: EncodingTable, bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, capture: FieldNumbers) {
        self.table = table
        base = bytes.baseAddress!
        self.maxDepth = maxDepth
        self.capture = capture
    }

    /// Writes message `message` (its position in the schema) found in `range`; false when the tree is needed.
    mutating func encode(_ message: Int, range: Range<Int>, depth: Int, path: UnsafePointer<PathStep>? = nil,
                         into out: inout JSONBuffer) -> Bool {
        var reader = UnsafeWireReader(base, range: range)
        var current = -1
        var close: UInt8 = 0
        var count = 0  // values written in the current repeated field or map
        var mapKeys: [Range<Int>] = []  // where the current map field's keys were written
        let dense = table.denseFields(message)
        out.append(UInt8(ascii: "{"))
        do {
            while let field = try reader.next() {
                if depth == 0, capture.contains(field.number), case .lengthDelimited(let r) = field.value {
                    captured.append((field.number, r))
                    continue
                }
                let entry = table.field(message, field.number, dense: dense)
                guard entry.shape != .absent else {
                    withUnsafePointer(to: PathStep(message: message, number: field.number, parent: path)) {
                        recordUnknown(field, path: $0, depth: depth)
                    }
                    continue
                }
                if field.number == current {
                    guard entry.isRepeated else { return false }
                } else {
                    var keyStart = Int(entry.keyStart)
                    if current >= 0 {
                        guard current < field.number else { return false }
                        if close != 0 { out.append(close) }
                    } else {
                        keyStart += 1  // the first key: no comma
                    }
                    current = field.number
                    close = entry.close
                    count = 0
                    if !mapKeys.isEmpty { mapKeys.removeAll(keepingCapacity: true) }
                    out.appendPadded(UnsafeRawPointer(table.keys.baseAddress! + keyStart),
                                       count: Int(entry.keyStart + entry.keyCount) - keyStart)
                    if entry.open != 0 { out.append(entry.open) }
                }
                if entry.shape == .map {
                    guard case .lengthDelimited(let range) = field.value, depth < maxDepth else { return false }
                    if count > 0 { out.append(UInt8(ascii: ",")) }
                    count += 1
                    let step = PathStep(message: message, number: field.number, parent: path)
                    guard withUnsafePointer(to: step, {
                        encodeMapEntry(Int(entry.nested), range: range, depth: depth + 1, path: $0, keys: &mapKeys, into: &out)
                    }) else { return false }
                    continue
                }
                guard encodeValue(field, entry, in: message, path: path, depth: depth, count: &count, into: &out) else { return false }
            }
        } catch {
            return false
        }
        if close != 0 { out.append(close) }
        out.append(UInt8(ascii: "}"))
        return true
    }

    /// Writes one occurrence of a declared field that is not a map (after its key, or a comma
    /// in a repeated field); false for the tree path.
    private mutating func encodeValue(_ field: WireField, _ entry: EncodingTable.Field, in message: Int,
                                      path: UnsafePointer<PathStep>?, depth: Int,
                                      count: inout Int, into out: inout JSONBuffer) -> Bool {
        @inline(__always) func separate(_ out: inout JSONBuffer) {
            if count > 0 { out.append(UInt8(ascii: ",")) }
            count += 1
        }
        switch (entry.shape, field.value) {
        case (.message, .lengthDelimited(let range)):
            guard depth < maxDepth else { return false }
            separate(&out)
            return withUnsafePointer(to: PathStep(message: message, number: field.number, parent: path)) {
                encode(Int(entry.nested), range: range, depth: depth + 1, path: $0, into: &out)
            }
        case (.integral, .lengthDelimited(let range)) where entry.isRepeated:
            return writePacked(entry.scalar, range: range, count: &count, into: &out)
        case (.string, .lengthDelimited(let range)):
            separate(&out)
            guard out.string(validatingUTF8: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)) else {
                return false
            }
        case (.bytes, .lengthDelimited(let range)):
            separate(&out)
            out.string(Data(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)).base64EncodedString())
        case (.integral, _):
            guard let scalar = Scalar(entry.scalar, field.value) else { return false }
            separate(&out)
            scalar.write(into: &out)
        default:
            return false
        }
        return true
    }

    /// Writes the values of a packed repeated integral field.
    private func writePacked(_ kind: ScalarKind, range: Range<Int>, count: inout Int, into out: inout JSONBuffer) -> Bool {
        let width: Int
        switch kind.packedWireType {
        case .fixed32: width = 4
        case .fixed64: width = 8
        default: width = 0
        }
        var position = range.lowerBound
        while position < range.upperBound {
            let value: WireValue
            if width == 0 {
                guard let v = try? UnsafeWireReader.varint(base, &position, range.upperBound) else { return false }
                value = .varint(v)
            } else {
                guard range.upperBound - position >= width else { return false }
                let raw = UnsafeRawPointer(base + position)
                value = width == 4 ? .fixed32(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
                    : .fixed64(UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)))
                position += width
            }
            guard let scalar = Scalar(kind, value) else { return false }
            if count > 0 { out.append(UInt8(ascii: ",")) }
            count += 1
            scalar.write(into: &out)
        }
        return true
    }

    /// Writes one map entry (message `entryMessage`: key 1, value 2) as `"key":value`, the last
    /// occurrence of each winning and absent ones read as their defaults; false for the tree path.
    private mutating func encodeMapEntry(_ entryMessage: Int, range: Range<Int>, depth: Int, path: UnsafePointer<PathStep>,
                                         keys: inout [Range<Int>],
                                         into out: inout JSONBuffer) -> Bool {
        var reader = UnsafeWireReader(base, range: range)
        var keyField: WireField?
        var valueField: WireField?
        do {
            while let field = try reader.next() {
                switch field.number {
                case 1: keyField = field
                case 2: valueField = field
                default: return false
                }
            }
        } catch {
            return false
        }
        let keyEntry = table.field(entryMessage, 1), valueEntry = table.field(entryMessage, 2)
        // The key is written, then compared as written with the keys before it.
        let keyStart = out.count
        switch (keyEntry.shape, keyField?.value) {
        case (.string, .lengthDelimited(let r)?):
            guard out.string(validatingUTF8: UnsafeBufferPointer(start: base + r.lowerBound, count: r.count)) else { return false }
        case (.string, nil):
            out.raw("\"\"")
        case (.integral, let value):
            guard let scalar = value.map({ Scalar(keyEntry.scalar, $0) }) ?? Scalar(keyEntry.scalar, .varint(0)) else { return false }
            scalar.writeKey(into: &out)
        default:
            return false
        }
        let key = keyStart..<out.count
        guard !keys.contains(where: { out.bytesEqual($0, key) }) else { return false }
        keys.append(key)
        out.append(UInt8(ascii: ":"))
        guard let valueField else {
            switch valueEntry.shape {
            case .integral, .floating: out.value(valueEntry.scalar.defaultJSON)
            case .string, .bytes: out.raw("\"\"")
            case .message: out.raw("{}")
            default: return false
            }
            return true
        }
        var ignored = 0
        return encodeValue(valueField, valueEntry, in: entryMessage, path: path, depth: depth, count: &ignored, into: &out)
    }

    /// Records a field the schema does not declare (the last step of `path`).
    private mutating func recordUnknown(_ field: WireField, path: UnsafePointer<PathStep>, depth: Int) {
        var steps = [String(field.number)]
        var step = path.pointee.parent
        while let outer = step {
            steps.append(table.name(outer.pointee.message, outer.pointee.number))
            step = outer.pointee.parent
        }
        unknown.append(FoundUnknown(steps: steps.reversed(), field: field, depth: depth))
    }
}

/// One step of the path from the walk's root to a field: the field `number` of message `message`,
/// and the step before it. Steps live on the stack of the walk's recursion.
struct PathStep {
    let message: Int
    let number: Int
    let parent: UnsafePointer<PathStep>?

}
