/// Whether a difference between two captures is more than sampling noise.
///
/// Something seen `seen` times in `sample` values of one capture, and never in the other
/// capture's `otherSample` values, counts as a real difference when it was seen at least
/// `minimumSeen` times and at a rate at which the other capture would have shown it
/// `expectedMisses` times or more: the chance of missing it then, if nothing changed, is under
/// 1 % (e^-5). A field present in 3 of 500 messages and absent from 50 is noise; present in
/// 3 of 500 and absent from 5,000 it is not.
enum Sampling {
    static let minimumSeen = 3
    static let expectedMisses = 5.0

    static func isSignificant(seen: Int, in sample: Int, absentFrom otherSample: Int) -> Bool {
        guard seen >= minimumSeen, sample > 0 else { return false }
        return Double(otherSample) * Double(seen) / Double(sample) >= expectedMisses
    }
}

extension CaptureComparison {
    /// Enum-like fields: at most this many distinct integers in the old capture…
    static let enumDistinctLimit = 8
    /// …seen at least this many times.
    static let enumMinimumValues = 20
    /// Decimal digits by which a value range must move to count as changed.
    static let rangeDigits = 2

    /// Per field path of the methods both captures carry: fields that appeared, vanished or
    /// changed value kind, and values whose distribution shifted. `retyped` paths (declared
    /// fields now arriving with another wire type) are reported already.
    mutating func compareFields(_ a: InspectionReport, _ b: InspectionReport, skipping retyped: Set<String>) {
        let shared = Set(a.methods.keys).intersection(b.methods.keys)
        for path in Set(a.fields.keys).union(b.fields.keys).sorted() where !retyped.contains(path) {
            let method = InspectionReport.method(of: path)
            guard shared.contains(method), let oldMessages = a.methods[method], let newMessages = b.methods[method] else { continue }
            switch (a.fields[path], b.fields[path]) {
            case (nil, let new?):
                if Sampling.isSignificant(seen: new.count, in: newMessages, absentFrom: oldMessages) {
                    add(.fieldAppeared, path, "(absent)", "in \(new.count) of \(newMessages) messages, \(Self.describeKinds(new))")
                }
            case (let old?, nil):
                if Sampling.isSignificant(seen: old.count, in: oldMessages, absentFrom: newMessages) {
                    add(.fieldVanished, path, "in \(old.count) of \(oldMessages) messages, \(Self.describeKinds(old))", "(absent)")
                }
            case (let old?, let new?):
                compareKinds(path, old, new)
                compareValues(path, old, new)
            case (nil, nil):
                break
            }
        }
    }

    /// A string field whose values stopped being valid UTF-8, or any other new or vanished kind of value.
    private mutating func compareKinds(_ path: String, _ old: FieldStatistics, _ new: FieldStatistics) {
        let bytes = new.kinds["bytes"] ?? 0
        if old.kinds["bytes"] == nil, old.kinds["string"] != nil, Sampling.isSignificant(seen: bytes, in: new.count, absentFrom: old.count) {
            add(.stringBecameBytes, path, "valid UTF-8 ×\(old.kinds["string"] ?? 0)", "not UTF-8 ×\(bytes) of \(new.count), e.g. \(new.example ?? "")")
        }
        let appeared = new.kinds.contains { kind, n in
            kind != "bytes" && old.kinds[kind] == nil && Sampling.isSignificant(seen: n, in: new.count, absentFrom: old.count)
        }
        let vanished = old.kinds.contains { kind, n in
            kind != "bytes" && new.kinds[kind] == nil && Sampling.isSignificant(seen: n, in: old.count, absentFrom: new.count)
        }
        if appeared || vanished { add(.fieldTypeChanged, path, Self.describeKinds(old), Self.describeKinds(new)) }
    }

    /// Values set where there were only zeros or empty ones; else integers whose magnitude moved
    /// by orders of magnitude, and enum-like fields with new values.
    private mutating func compareValues(_ path: String, _ old: FieldStatistics, _ new: FieldStatistics) {
        let set = new.count - new.zeroOrEmpty
        if old.zeroOrEmpty == old.count {
            if Sampling.isSignificant(seen: set, in: new.count, absentFrom: old.count) {
                add(.emptyFieldSet, path, "0 or empty ×\(old.count)", "set in \(set) of \(new.count), e.g. \(new.example ?? "")")
            }
            return
        }
        if let oldLow = old.digits.keys.min(), let oldHigh = old.digits.keys.max() {
            let outside = new.digits.filter { $0.key >= oldHigh + Self.rangeDigits || $0.key <= oldLow - Self.rangeDigits }.values.reduce(0, +)
            if Sampling.isSignificant(seen: outside, in: new.integers, absentFrom: old.integers) {
                add(.valueRangeChanged, path, Self.describeRange(old), Self.describeRange(new))
            }
        }
        if let oldValues = old.values, let newValues = new.values, (1...Self.enumDistinctLimit).contains(oldValues.count) {
            let oldTotal = oldValues.values.reduce(0, +)
            let added = newValues.filter { oldValues[$0.key] == nil }
            let seen = added.values.reduce(0, +)
            if oldTotal >= Self.enumMinimumValues, Sampling.isSignificant(seen: seen, in: newValues.values.reduce(0, +), absentFrom: oldTotal) {
                add(.enumValuesAppeared, path, oldValues.keys.sorted().map(String.init).joined(separator: ", "),
                    "also " + added.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
            }
        }
    }

    private static func describeRange(_ field: FieldStatistics) -> String {
        "\(field.minimum.map(String.init) ?? "?")…\(field.maximum.map(String.init) ?? "?") (\(field.integers) values)"
    }
}
