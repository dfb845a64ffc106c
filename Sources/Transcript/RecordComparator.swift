import JSONKit

/// A difference inside one aligned pair of records, before labels and locations are added.
struct FieldDifference {
    enum Parent {
        case object([(String, JSONValue)], Int)
        case array([JSONValue], Int)
    }

    var kind: DiffChange.Kind
    var path: String
    var jsonPath: String
    var expected: JSONValue?
    var actual: JSONValue?
    /// Where the value sits, for context lines (computed only for changes that are kept).
    var parent: Parent?

    /// Up to `n` siblings before and after the changed value, as `key: value`.
    func context(_ n: Int) -> (before: [String], after: [String]) {
        guard n > 0, let parent else { return ([], []) }
        switch parent {
        case .object(let pairs, let index):
            return (pairs[max(0, index - n)..<index].map { "\($0.0): \(RecordComparator.brief($0.1))" },
                    pairs[(index + 1)..<min(pairs.count, index + 1 + n)].map { "\($0.0): \(RecordComparator.brief($0.1))" })
        case .array(let items, let index):
            return ((max(0, index - n)..<index).map { "[\($0)]: \(RecordComparator.brief(items[$0]))" },
                    ((index + 1)..<min(items.count, index + 1 + n)).map { "[\($0)]: \(RecordComparator.brief(items[$0]))" })
        }
    }
}

/// Recursive comparison of two records: objects by key (order does not matter), arrays by
/// position (an LCS realigns arrays of different lengths), numbers by value (`3` equals
/// `3.0`). The tape `line` is not compared (it is where a record is, not what it is; a
/// re-recorded tape shifts it). `unknown` entries are matched by their `path`.
struct RecordComparator {
    private enum Component {
        case key(String)
        case index(Int)
        case unknown(String)
    }

    /// Display paths of `fields` children drop the `fields.` prefix (frames, messages…).
    let relativeToFields: Bool
    private var stack: [Component] = []
    private(set) var differences: [FieldDifference] = []

    private init(relativeToFields: Bool) {
        self.relativeToFields = relativeToFields
        stack.reserveCapacity(16)
    }

    static func compare(_ a: JSONValue, _ b: JSONValue, relativeToFields: Bool) -> [FieldDifference] {
        var comparator = RecordComparator(relativeToFields: relativeToFields)
        if case .object(let pa) = a, case .object(let pb) = b {
            comparator.objects(pa, pb, top: true)
        } else if a != b {
            comparator.differences.append(FieldDifference(kind: .changed, path: "", jsonPath: "", expected: a, actual: b))
        }
        return comparator.differences
    }

    /// The display path and the path from the record's root of the current position.
    private func paths() -> (display: String, json: String) {
        var json = ""
        var display = ""
        let skipFields = relativeToFields && stack.count > 1
        for (k, component) in stack.enumerated() {
            switch component {
            case .key(let key):
                if !json.isEmpty { json += "." }
                json += key
                if k == 0 && skipFields && key == "fields" { continue }
                if !display.isEmpty { display += "." }
                display += key
            case .index(let i):
                json += "[\(i)]"
                display += "[\(i)]"
            case .unknown(let p):
                if !json.isEmpty { json += "." }
                json += "unknown[\(p)]"
                if !display.isEmpty { display += "." }
                display += "unknown[\(p)]"
            }
        }
        return (display, json)
    }

    private mutating func objects(_ a: [(String, JSONValue)], _ b: [(String, JSONValue)], top: Bool) {
        var matchedB = [Bool](repeating: false, count: b.count)
        for (ia, (key, va)) in a.enumerated() {
            if top && key == "line" { continue }
            var ib = -1
            if ia < b.count && !matchedB[ia] && b[ia].0 == key {
                ib = ia
            } else if let k = b.indices.first(where: { !matchedB[$0] && b[$0].0 == key }) {
                ib = k
            }
            if ib >= 0 { matchedB[ib] = true }
            if top && key == "unknown", case .array(let ua) = va {
                if ib < 0 {
                    unknown(ua, [])
                    continue
                }
                if case .array(let ub) = b[ib].1 {
                    unknown(ua, ub)
                    continue
                }
            }
            stack.append(.key(key))
            if ib >= 0 {
                member(va, b[ib].1, parent: .object(a, ia))
            } else {
                leaf(va, nil, parent: .object(a, ia))
            }
            stack.removeLast()
        }
        for (ib, (key, vb)) in b.enumerated() where !matchedB[ib] {
            if top && key == "line" { continue }
            if top && key == "unknown", case .array(let ub) = vb {
                unknown([], ub)
                continue
            }
            stack.append(.key(key))
            leaf(nil, vb, parent: .object(b, ib))
            stack.removeLast()
        }
    }

    private mutating func member(_ a: JSONValue, _ b: JSONValue, parent: FieldDifference.Parent) {
        switch (a, b) {
        case (.object(let pa), .object(let pb)):
            objects(pa, pb, top: false)
        case (.array(let ea), .array(let eb)):
            arrays(ea, eb)
        default:
            if !Self.scalarEqual(a, b) { leaf(a, b, parent: parent) }
        }
    }

    static func scalarEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.int(x), .double(y)): return Double(x) == y
        case let (.double(x), .int(y)): return x == Double(y)
        default: return a == b
        }
    }

    private mutating func element(_ index: Int, _ a: JSONValue?, _ b: JSONValue?, parent: FieldDifference.Parent) {
        stack.append(.index(index))
        if let a, let b {
            member(a, b, parent: parent)
        } else {
            leaf(a, b, parent: parent)
        }
        stack.removeLast()
    }

    private mutating func arrays(_ a: [JSONValue], _ b: [JSONValue]) {
        if a.count == b.count || a.count * b.count > 65_536 {
            for k in 0..<max(a.count, b.count) {
                if k < a.count {
                    element(k, a[k], k < b.count ? b[k] : nil, parent: .array(a, k))
                } else {
                    element(k, nil, b[k], parent: .array(b, k))
                }
            }
            return
        }
        // Different lengths: match equal elements (LCS), pair the rest position by position
        // within each gap, and report the leftovers as removed / added elements.
        let pairs = Self.lcs(a.count, b.count) { a[$0] == b[$1] }
        var ia = 0, ib = 0
        for (ma, mb) in pairs + [(a.count, b.count)] {
            while ia < ma && ib < mb {
                element(ia, a[ia], b[ib], parent: .array(a, ia))
                ia += 1
                ib += 1
            }
            while ia < ma {
                element(ia, a[ia], nil, parent: .array(a, ia))
                ia += 1
            }
            while ib < mb {
                element(ib, nil, b[ib], parent: .array(b, ib))
                ib += 1
            }
            ia = ma + 1
            ib = mb + 1
        }
    }

    /// Longest common subsequence of two index ranges under `same`, as matched index pairs.
    static func lcs(_ n: Int, _ m: Int, _ same: (Int, Int) -> Bool) -> [(Int, Int)] {
        if n == 0 || m == 0 { return [] }
        var table = [Int32](repeating: 0, count: (n + 1) * (m + 1))
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i * (m + 1) + j] = same(i, j)
                    ? table[(i + 1) * (m + 1) + j + 1] + 1
                    : max(table[(i + 1) * (m + 1) + j], table[i * (m + 1) + j + 1])
            }
        }
        var pairs: [(Int, Int)] = []
        var i = 0, j = 0
        while i < n && j < m {
            if same(i, j) && table[i * (m + 1) + j] == table[(i + 1) * (m + 1) + j + 1] + 1 {
                pairs.append((i, j))
                i += 1
                j += 1
            } else if table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return pairs
    }

    /// `unknown` entries matched by `path` (repeated paths in order).
    private mutating func unknown(_ a: [JSONValue], _ b: [JSONValue]) {
        func key(_ v: JSONValue) -> String { RecordIdentity.text(v["path"]) ?? CanonicalJSON.string(v) }
        var positions: [String: [Int]] = [:]
        for (k, entry) in b.enumerated() { positions[key(entry), default: []].append(k) }
        var used = [Bool](repeating: false, count: b.count)
        for (ia, entry) in a.enumerated() {
            let k = key(entry)
            stack.append(.unknown(k))
            if var list = positions[k], !list.isEmpty {
                let ib = list.removeFirst()
                positions[k] = list
                used[ib] = true
                member(entry, b[ib], parent: .array(a, ia))
            } else {
                let (display, json) = paths()
                differences.append(FieldDifference(kind: .unknownFieldVanished, path: display, jsonPath: json, expected: entry, actual: nil))
            }
            stack.removeLast()
        }
        for (ib, entry) in b.enumerated() where !used[ib] {
            stack.append(.unknown(key(entry)))
            let (display, json) = paths()
            differences.append(FieldDifference(kind: .unknownFieldAppeared, path: display, jsonPath: json, expected: nil, actual: entry))
            stack.removeLast()
        }
    }

    private mutating func leaf(_ a: JSONValue?, _ b: JSONValue?, parent: FieldDifference.Parent) {
        let (display, json) = paths()
        differences.append(FieldDifference(kind: .changed, path: display, jsonPath: json, expected: a, actual: b, parent: parent))
    }

    /// Compact canonical JSON, at most `limit` characters (cut with `…`); large values are not
    /// serialized in full.
    static func brief(_ value: JSONValue, limit: Int = 80) -> String {
        var writer = JSONWriter(capacity: limit * 4 + 16)
        write(value, to: &writer, maxBytes: limit * 4)
        let text = String(decoding: writer.bytes, as: UTF8.self)
        return cut(text, limit)
    }

    private static func write(_ value: JSONValue, to writer: inout JSONWriter, maxBytes: Int) {
        if writer.bytes.count > maxBytes { return }
        switch value {
        case .array(let items):
            writer.raw("[")
            for (i, item) in items.enumerated() {
                if writer.bytes.count > maxBytes { return }
                if i > 0 { writer.raw(",") }
                write(item, to: &writer, maxBytes: maxBytes)
            }
            writer.raw("]")
        case .object(let pairs):
            writer.raw("{")
            for (i, (key, item)) in pairs.enumerated() {
                if writer.bytes.count > maxBytes { return }
                if i > 0 { writer.raw(",") }
                writer.string(key)
                writer.raw(":")
                write(item, to: &writer, maxBytes: maxBytes)
            }
            writer.raw("}")
        case .string(let s) where s.utf8.count > maxBytes:
            var prefix = String(decoding: Array(s.utf8.prefix(maxBytes)), as: UTF8.self)
            prefix.withUTF8 { writer.string(utf8: $0) }
        default:
            writer.value(value)
        }
    }
}
