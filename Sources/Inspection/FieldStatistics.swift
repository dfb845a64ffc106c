import JSONKit
import WebcastDecoder

/// What the values at one field path looked like across a capture, in bounded memory: how
/// often the path occurred, the kinds of value, how many were zero or empty, the range and
/// decimal magnitudes of its integers, and its distinct small-integer values while they are few.
struct FieldStatistics: Sendable {
    /// Distinct integer values kept per path; past this, `values` is nil.
    static let distinctLimit = 16
    /// Characters kept of an example value.
    static let exampleLength = 80

    /// Values seen.
    private(set) var count = 0
    /// Values per kind: `string`, `bytes` (a string field whose bytes were not valid UTF-8),
    /// `number`, `bool`, `null`.
    private(set) var kinds: [String: Int] = [:]
    /// Values that were 0, `"0"`, `""` or false.
    private(set) var zeroOrEmpty = 0
    /// The first value that was neither zero nor empty, shortened.
    private(set) var example: String?
    /// Integers (JSON numbers, and 64-bit integers written as strings of digits) by the number
    /// of decimal digits of their magnitude; 0 counts as no digits.
    private(set) var digits: [Int: Int] = [:]
    /// The smallest and largest integer seen.
    private(set) var minimum: Int64?, maximum: Int64?
    /// How often each JSON integer occurred, while at most `distinctLimit` distinct ones were
    /// seen (enums, small counters); nil once there were more.
    private(set) var values: [Int64: Int]? = [:]

    init() {}

    /// Integers seen (the sum of `digits`).
    var integers: Int { digits.values.reduce(0, +) }

    /// Adds one value: a leaf of a decoded message, or the `{"invalid_utf8_base64": …}` object
    /// the decoder writes for a string field that is not valid UTF-8.
    mutating func add(_ value: JSONValue) {
        count += 1
        switch value {
        case .string(let text):
            kinds["string", default: 0] += 1
            if text.isEmpty || text == "0" { zeroOrEmpty += 1 } else { noteExample(text) }
            if let number = Int64(text) { addInteger(number) }
        case .int(let number):
            kinds["number", default: 0] += 1
            if number == 0 { zeroOrEmpty += 1 } else { noteExample(String(number)) }
            addInteger(number)
            if values != nil {
                values![number, default: 0] += 1
                if values!.count > Self.distinctLimit { values = nil }
            }
        case .double(let number):
            kinds["number", default: 0] += 1
            if number == 0 { zeroOrEmpty += 1 } else { noteExample(String(number)) }
        case .bool(let flag):
            kinds["bool", default: 0] += 1
            if flag { noteExample("true") } else { zeroOrEmpty += 1 }
        case .object(let pairs) where pairs.count == 1 && pairs[0].0 == "invalid_utf8_base64":
            kinds["bytes", default: 0] += 1
            noteExample("bytes " + (pairs[0].1.stringValue ?? ""))
        case .null:
            kinds["null", default: 0] += 1
            zeroOrEmpty += 1
        default:
            kinds[value.typeName, default: 0] += 1
        }
    }

    /// Whether `value` is the decoder's stand-in for a string field that is not valid UTF-8
    /// (a leaf, for `add`).
    static func isInvalidUTF8(_ value: JSONValue) -> Bool {
        if case .object(let pairs) = value { return pairs.count == 1 && pairs[0].0 == "invalid_utf8_base64" }
        return false
    }

    private mutating func addInteger(_ number: Int64) {
        digits[Self.digitCount(number), default: 0] += 1
        minimum = Swift.min(minimum ?? number, number)
        maximum = Swift.max(maximum ?? number, number)
    }

    private mutating func noteExample(_ text: String) {
        if example == nil { example = text.count > Self.exampleLength ? String(text.prefix(Self.exampleLength)) + "…" : text }
    }

    /// Decimal digits of |number|; 0 for 0.
    static func digitCount(_ number: Int64) -> Int {
        var rest = number.magnitude, digits = 0
        while rest > 0 {
            rest /= 10
            digits += 1
        }
        return digits
    }

    // MARK: JSON

    /// The statistics as a report entry.
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.set("count", .int(Int64(count)))
        o.set("kinds", .object(kinds.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }))
        o.set("zero_or_empty", .int(Int64(zeroOrEmpty)))
        o.set("example", example.map(JSONValue.string))
        if !digits.isEmpty {
            o.set("digits", .object(digits.sorted { $0.key < $1.key }.map { (String($0.key), .int(Int64($0.value))) }))
            o.set("min", minimum.map { .string(String($0)) })
            o.set("max", maximum.map { .string(String($0)) })
        }
        if let values, !values.isEmpty {
            o.set("values", .object(values.sorted { $0.key < $1.key }.map { (String($0.key), .int(Int64($0.value))) }))
        } else if values == nil {
            o.set("values", .string("many"))
        }
        return o.value
    }

    /// Reads a report entry written by `json`.
    init(json: JSONValue) {
        func table(_ value: JSONValue?) -> [(String, Int)] {
            guard case .object(let pairs)? = value?.resolved else { return [] }
            return pairs.map { ($0.0, Int($0.1.intValue ?? 0)) }
        }
        count = Int(json["count"]?.intValue ?? 0)
        kinds = Dictionary(table(json["kinds"]), uniquingKeysWith: +)
        zeroOrEmpty = Int(json["zero_or_empty"]?.intValue ?? 0)
        example = json["example"]?.stringValue
        digits = Dictionary(table(json["digits"]).compactMap { key, n in Int(key).map { ($0, n) } }, uniquingKeysWith: +)
        minimum = json["min"]?.intValue
        maximum = json["max"]?.intValue
        if json["values"]?.stringValue == "many" {
            values = nil
        } else {
            values = Dictionary(table(json["values"]).compactMap { key, n in Int64(key).map { ($0, n) } }, uniquingKeysWith: +)
        }
    }
}

/// The `FieldStatistics` of every field path of the decoded messages of a capture
/// (`WebcastChatMessage.user.nickname`, `WebcastRoomUserSeqMessage.ranks[].rank`; the entries of
/// a map field share one path, `WebcastLinkMicArmies.armies.*.hostscore`), for at most
/// `pathLimit` paths.
struct FieldCensus {
    /// Paths kept; values at further paths are counted in `droppedValues`.
    static let pathLimit = 4096
    /// Elements of one repeated field, or entries of one map, looked at.
    static let elementLimit = 4

    private(set) var paths: [String: FieldStatistics] = [:]
    private(set) var droppedValues = 0

    /// Adds the decoded fields of one message of `method`.
    mutating func add(_ fields: JSONValue, method: String) {
        walk(fields.resolved, path: method, message: MessageShapes.webcast.fullName(ofMethod: method))
    }

    private mutating func walk(_ value: JSONValue, path: String, message: String?) {
        switch value {
        case .object(let pairs) where !FieldStatistics.isInvalidUTF8(value):
            for (key, item) in pairs {
                switch message.flatMap({ MessageShapes.webcast.field(key, of: $0) }) {
                case .map(let valueMessage)?:
                    for (_, entry) in InspectionReport.pairs(item).prefix(Self.elementLimit) {
                        walk(entry.resolved, path: path + "." + key + ".*", message: valueMessage)
                    }
                case .message(let name)?:
                    walk(item.resolved, path: path + "." + key, message: name)
                case nil:
                    walk(item.resolved, path: path + "." + key, message: nil)
                }
            }
        case .array(let items):
            for item in items.prefix(Self.elementLimit) { walk(item.resolved, path: path + "[]", message: message) }
        default:
            if paths[path] == nil && paths.count >= Self.pathLimit {
                droppedValues += 1
            } else {
                paths[path, default: FieldStatistics()].add(value)
            }
        }
    }

    var json: JSONValue {
        .object(paths.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) })
    }
}

/// The message and map fields of the schema by name, as `FieldCensus` walks decoded messages.
struct MessageShapes: Sendable {
    /// A field whose JSON value nests further: a message (by full name), or a map whose values
    /// are messages of the given full name (nil: scalars).
    enum Nesting: Sendable {
        case message(String)
        case map(String?)
    }

    static let webcast = MessageShapes(.webcast)

    private let schema: Schema
    private let nesting: [String: [String: Nesting]]

    init(_ schema: Schema) {
        var nesting: [String: [String: Nesting]] = [:]
        for message in schema.messages {
            for field in message.fields.values {
                switch field.kind {
                case .message(let name):
                    nesting[message.fullName, default: [:]][field.name] = .message(name)
                case .map(let entry):
                    if case .message(let value)? = schema.message(fullName: entry)?.field(2)?.kind {
                        nesting[message.fullName, default: [:]][field.name] = .map(value)
                    } else {
                        nesting[message.fullName, default: [:]][field.name] = .map(nil)
                    }
                default:
                    break
                }
            }
        }
        self.schema = schema
        self.nesting = nesting
    }

    func fullName(ofMethod method: String) -> String? { schema.message(forMethod: method)?.fullName }

    func field(_ name: String, of message: String) -> Nesting? { nesting[message]?[name] }
}
