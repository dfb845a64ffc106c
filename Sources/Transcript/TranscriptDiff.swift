import JSONKit

/// The streaming semantic diff of two transcripts (`docs/diff.md`).
///
/// Records are aligned by identity (frame ids, msg_id + method, url…, never the tape `line`)
/// within a bounded window, so an inserted or dropped record shows as one `added` / `removed`
/// change instead of a cascade. Aligned records are compared value by value. Memory is
/// proportional to `DiffOptions.window` (plus the stored changes), not to the files.
public enum TranscriptDiff {
    /// Diffs the transcript files at `expected` and `actual`.
    /// - Throws: any `TranscriptError` (unusable input: unreadable, not a transcript, a newer
    ///   version, a malformed line, different views). No report is produced then.
    public static func diff(expected: String, actual: String, options: DiffOptions = DiffOptions()) throws(TranscriptError) -> DiffReport {
        let a = try TranscriptReader(path: expected, options: options.reader)
        let b = try TranscriptReader(path: actual, options: options.reader)
        return try diff(expected: a, actual: b, options: options)
    }

    /// Diffs two opened transcripts, reading both to the end (the readers are used up). `onChange` sees every reported
    /// change as it is found, including those beyond `DiffOptions.maxStoredChanges`.
    /// - Throws: `viewMismatch`, or the first reading error of either file.
    public static func diff(expected: TranscriptReader, actual: TranscriptReader, options: DiffOptions = DiffOptions(),
                            onChange: ((DiffChange) -> Void)? = nil) throws(TranscriptError) -> DiffReport {
        guard expected.header.view == actual.header.view else {
            throw .viewMismatch(expectedFile: expected.name, expectedView: expected.header.view.rawValue,
                                actualFile: actual.name, actualView: actual.header.view.rawValue)
        }
        let names = Names(view: expected.header.view)
        var engine = DiffEngine(a: DiffSide(reader: expected, names: names), b: DiffSide(reader: actual, names: names),
                                names: names, options: options, onChange: onChange)
        try engine.run()
        return engine.report(expected: expected, actual: actual)
    }
}

/// Interned kinds and methods with what the engine needs to know about each kind.
final class Names {
    struct KindFlags {
        var isMember: Bool
        var isFetchResult: Bool
    }

    let view: TranscriptView
    let kinds = NameTable()
    let methods = NameTable()
    private var flags: [KindFlags] = []

    init(view: TranscriptView) { self.view = view }

    func kind(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        let k = kinds.index(p, range)
        if k >= flags.count { addFlags() }
        return k
    }

    func kind(named name: String) -> Int {
        let k = kinds.index(name)
        if k >= flags.count { addFlags() }
        return k
    }

    private func addFlags() {
        while flags.count < kinds.names.count {
            let name = kinds.names[flags.count]
            let member = view == .wire && ["fetch_result", "message", "decode_error", "notice"].contains(name)
            flags.append(KindFlags(isMember: member, isFetchResult: view == .wire && name == "fetch_result"))
        }
    }

    func flags(_ kind: Int) -> KindFlags { flags[kind] }
}

/// One input of the diff: its reader, the records read ahead, and the current record group.
final class DiffSide {
    let reader: TranscriptReader
    let names: Names
    var view: TranscriptView { names.view }
    var file: String { reader.name }
    private(set) var buffer: [Entry] = []
    private(set) var head = 0
    private(set) var exhausted = false
    /// The last group head (frame, http, ws_open…) read, for the records on its tape line.
    var currentGroup: Entry?
    var records = 0
    /// The most records pending at once.
    private(set) var maxPending = 0

    init(reader: TranscriptReader, names: Names) {
        self.reader = reader
        self.names = names
    }

    var pendingCount: Int { buffer.count - head }

    func nextRaw() throws(TranscriptError) -> (bytes: UnsafeBufferPointer<UInt8>, line: Int)? {
        if exhausted { return nil }
        guard let raw = try reader.nextRawLine() else {
            exhausted = true
            return nil
        }
        return raw
    }

    /// The group a member record on `tapeLine` belongs to.
    func memberGroup(tapeLine: Int?) -> Entry? {
        guard let group = currentGroup, let tapeLine, group.tapeLine == tapeLine else { return nil }
        return group
    }

    /// Makes an entry of a line (copying it), tracking groups; `validated` when the caller checked the JSON.
    func makeEntry(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, scan: LineScan?, validated: Bool) throws(TranscriptError) -> Entry {
        records += 1
        let kind: Int, method: Int?, tapeLine: Int?, value: JSONValue?
        if let scan {
            kind = names.kind(bytes, scan.kind)
            method = scan.method.map { names.methods.index(bytes, $0) }
            tapeLine = scan.tapeLine
            value = nil
        } else {
            let parsed = try reader.parseRecord(bytes, line: line)
            let kindName = parsed[view.kindKey]?.stringValue ?? "?"
            kind = names.kind(named: kindName)
            method = view == .wire && kindName == "message" ? parsed["method"]?.stringValue.map { names.methods.index($0) } : nil
            tapeLine = parsed["line"]?.intValue.map { Int($0) }
            value = parsed
        }
        let member = names.flags(kind).isMember
        let isHead = view == .wire && !member
        let group = member ? memberGroup(tapeLine: tapeLine) : nil
        let entry = Entry(raw: Array(bytes), fileLine: line, kind: kind, method: method, digits: scan?.digits,
                          tapeLine: tapeLine, isGroupHead: isHead, group: group, value: value, validated: validated)
        if isHead { currentGroup = entry }
        return entry
    }

    /// The `d`-th pending record (0 = head), reading ahead as needed; nil past the end.
    func pending(_ d: Int) throws(TranscriptError) -> Entry? {
        while buffer.count - head <= d {
            guard let raw = try nextRaw() else { return nil }
            buffer.append(try makeEntry(raw.bytes, line: raw.line, scan: LineScan.scan(raw.bytes, view: view), validated: false))
        }
        if buffer.count - head > maxPending { maxPending = buffer.count - head }
        return buffer[head + d]
    }

    /// Appends a line already read to the pending records.
    func push(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) throws(TranscriptError) {
        buffer.append(try makeEntry(bytes, line: line, scan: LineScan.scan(bytes, view: view), validated: false))
    }

    @discardableResult
    func pop() -> Entry {
        let entry = buffer[head]
        head += 1
        if head == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= buffer.count {
            buffer.removeFirst(head)
            head = 0
        }
        return entry
    }

    func identity(_ entry: Entry) throws(TranscriptError) -> Identity {
        try entry.identity(file: file, view: view)
    }

    func value(_ entry: Entry) throws(TranscriptError) -> JSONValue {
        try entry.parsed(file: file, view: view)
    }
}

/// The alignment and comparison loop.
struct DiffEngine {
    let a: DiffSide
    let b: DiffSide
    let names: Names
    let options: DiffOptions
    let onChange: ((DiffChange) -> Void)?
    private var changes: [DiffChange] = []
    private var summary = DiffSummary()
    private var truncated = false
    private var typeCounts: [CategoryCounts] = []
    private var methodCounts: [CategoryCounts] = []

    init(a: DiffSide, b: DiffSide, names: Names, options: DiffOptions, onChange: ((DiffChange) -> Void)?) {
        self.a = a
        self.b = b
        self.names = names
        self.options = options
        self.onChange = onChange
    }

    private var view: TranscriptView { names.view }

    mutating func run() throws(TranscriptError) {
        while true {
            if a.pendingCount == 0 && b.pendingCount == 0 && !a.exhausted && !b.exhausted {
                guard let ra = try a.nextRaw() else { continue }
                guard let rb = try b.nextRaw() else {
                    try a.push(ra.bytes, line: ra.line)
                    continue
                }
                if try fastMatch(ra, rb) { continue }
                try a.push(ra.bytes, line: ra.line)
                try b.push(rb.bytes, line: rb.line)
            }
            if try !step() { return }
        }
    }

    // MARK: Fast path

    /// Both lines equal except for their tape line digits (and, for a fetch result, its frame):
    /// the same record, matched without parsing (the JSON is validated, not built).
    private mutating func fastMatch(_ ra: (bytes: UnsafeBufferPointer<UInt8>, line: Int), _ rb: (bytes: UnsafeBufferPointer<UInt8>, line: Int)) throws(TranscriptError) -> Bool {
        guard let sa = LineScan.scan(ra.bytes, view: view), let sb = LineScan.scan(rb.bytes, view: view),
              LineScan.equalExceptLine(ra.bytes, sa.digits, rb.bytes, sb.digits) else { return false }
        let kind = names.kind(ra.bytes, sa.kind)
        let flags = names.flags(kind)
        if flags.isFetchResult {
            switch (a.memberGroup(tapeLine: sa.tapeLine), b.memberGroup(tapeLine: sb.tapeLine)) {
            case (nil, nil): break
            case let (ga?, gb?): if !ga.sameBytes(as: gb) { return false }
            default: return false
            }
        }
        guard JSONValidator.isValid(ra.bytes) else { return false }
        if view == .wire && !flags.isMember {
            _ = try a.makeEntry(ra.bytes, line: ra.line, scan: sa, validated: true)
            _ = try b.makeEntry(rb.bytes, line: rb.line, scan: sb, validated: true)
        } else {
            a.records += 1
            b.records += 1
        }
        count(kind: kind, method: sa.method.map { names.methods.index(ra.bytes, $0) }) { $0.compared += 1 }
        summary.compared += 1
        return true
    }

    private func sameRecord(_ ea: Entry, _ eb: Entry) throws(TranscriptError) -> Bool {
        guard ea.kind == eb.kind, ea.sameBytes(as: eb) else { return false }
        if names.flags(ea.kind).isFetchResult {
            switch (ea.group, eb.group) {
            case (nil, nil): break
            case let (ga?, gb?): if !ga.sameBytes(as: gb) { return false }
            default: return false
            }
        }
        try ea.ensureValid(file: a.file, view: view)
        return true
    }

    // MARK: Alignment

    /// One step on pending records; false when both inputs are done.
    private mutating func step() throws(TranscriptError) -> Bool {
        let ea = try a.pending(0)
        let eb = try b.pending(0)
        guard let ea else {
            while let e = try b.pending(0) { try added(b.pop()); _ = e }
            return false
        }
        guard let eb else {
            while let e = try a.pending(0) { try removed(a.pop()); _ = e }
            return false
        }
        if try sameRecord(ea, eb) {
            a.pop()
            b.pop()
            count(kind: ea.kind, method: try method(ea, side: a)) { $0.compared += 1 }
            summary.compared += 1
            return true
        }
        if try a.identity(ea).key == b.identity(eb).key {
            a.pop()
            b.pop()
            try pair(ea, eb)
            return true
        }
        try resync()
        return true
    }

    /// The heads differ in identity: find the nearest pair of equal id-made keys (an anchor)
    /// within the window, growing the look-ahead one record per side at a time. Everything before the
    /// anchor is unmatched; weakly identified records in there are paired by an LCS over their
    /// classes. Without an anchor in the window, records are let go in `t_us` order.
    private mutating func resync() throws(TranscriptError) {
        var firstA: [String: Int] = [:]
        var firstB: [String: Int] = [:]
        var anchor: (Int, Int)?
        var d = 0
        var ranOut = false
        while d < options.window {
            let ea = try a.pending(d)
            let eb = try b.pending(d)
            if ea == nil && eb == nil {
                ranOut = true
                break
            }
            var best: (Int, Int)?
            // Only id-made keys anchor: content-made ones (an hb frame, a notice) repeat and
            // would tie unrelated stretches together; the gap's LCS pairs those.
            if let ea, case let id = try a.identity(ea), !id.pairable {
                if firstA[id.key] == nil { firstA[id.key] = d }
                if let j = firstB[id.key] { best = (d, j) }
            }
            if let eb, case let id = try b.identity(eb), !id.pairable {
                if firstB[id.key] == nil { firstB[id.key] = d }
                if let i = firstA[id.key], best.map({ i + d < $0.0 + $0.1 }) ?? true { best = (i, d) }
            }
            if let best {
                anchor = best
                break
            }
            d += 1
        }
        if let (i, j) = anchor {
            try gap(i, j)
        } else if ranOut {
            try gap(a.pendingCount, b.pendingCount)
        } else {
            try mergeByTime(max(1, options.window / 2))
        }
    }

    /// Emits `i` pending expected and `j` pending actual records that have no equal key on the
    /// other side; records with content-made keys of the same class are paired (LCS) and compared.
    private mutating func gap(_ i: Int, _ j: Int) throws(TranscriptError) {
        let sideA = (0..<i).map { _ in a.pop() }
        let sideB = (0..<j).map { _ in b.pop() }
        var pa: [(index: Int, cls: String)] = []
        var pb: [(index: Int, cls: String)] = []
        for (k, e) in sideA.enumerated() {
            let id = try a.identity(e)
            if id.pairable { pa.append((k, id.pairClass)) }
        }
        for (k, e) in sideB.enumerated() {
            let id = try b.identity(e)
            if id.pairable { pb.append((k, id.pairClass)) }
        }
        var pairs: [(Int, Int)] = []
        if !pa.isEmpty && !pb.isEmpty {
            if pa.count * pb.count <= 1_000_000 {
                pairs = RecordComparator.lcs(pa.count, pb.count) { pa[$0].cls == pb[$1].cls }
                    .map { (pa[$0.0].index, pb[$0.1].index) }
            } else {
                var next = 0
                for x in pa {
                    guard let found = pb[next...].firstIndex(where: { $0.cls == x.cls }) else { continue }
                    pairs.append((x.index, pb[found].index))
                    next = found + 1
                    if next == pb.count { break }
                }
            }
        }
        var ia = 0, ib = 0
        for (x, y) in pairs + [(i, j)] {
            while ia < x { try removed(sideA[ia]); ia += 1 }
            while ib < y { try added(sideB[ib]); ib += 1 }
            if x < i && y < j { try pair(sideA[x], sideB[y]) }
            ia = x + 1
            ib = y + 1
        }
    }

    /// No anchor within the window: lets up to `n` records go, the earlier `t_us` first (the
    /// expected one on a tie), stopping as soon as the heads have equal keys.
    private mutating func mergeByTime(_ n: Int) throws(TranscriptError) {
        for _ in 0..<n {
            guard let ea = try a.pending(0), let eb = try b.pending(0) else { return }
            if try a.identity(ea).key == b.identity(eb).key { return }
            let ta = try a.value(ea)["t_us"]?.intValue ?? 0
            let tb = try b.value(eb)["t_us"]?.intValue ?? 0
            if tb < ta {
                try added(b.pop())
            } else {
                try removed(a.pop())
            }
        }
    }

    // MARK: Changes

    private func method(_ e: Entry, side: DiffSide) throws(TranscriptError) -> Int? {
        if let m = e.method { return m }
        guard view == .wire else { return nil }
        let id = try side.identity(e)
        return id.recordType == "message" ? names.methods.index(id.category) : nil
    }

    private mutating func count(kind: Int, method: Int?, _ update: (inout CategoryCounts) -> Void) {
        while typeCounts.count <= kind { typeCounts.append(CategoryCounts()) }
        update(&typeCounts[kind])
        if let method {
            while methodCounts.count <= method { methodCounts.append(CategoryCounts()) }
            update(&methodCounts[method])
        }
    }

    private func location(_ e: Entry) -> RecordLocation {
        RecordLocation(line: e.fileLine, tapeLine: e.tapeLine)
    }

    private func groupLabel(_ e: Entry, side: DiffSide) throws(TranscriptError) -> String? {
        guard let group = e.group else { return nil }
        return try side.identity(group).label
    }

    /// Whether an ignore pattern matches the change (counted as ignored then).
    private mutating func ignored(_ change: DiffChange) -> Bool {
        guard !options.ignore.isEmpty, options.ignore.match(change.ignorePaths) != nil else { return false }
        summary.ignored += 1
        return true
    }

    /// Whether a reported change will be seen (kept or passed to `onChange`): worth its context.
    private var keepsDetails: Bool { changes.count < options.maxStoredChanges || onChange != nil }

    /// Reports a change unless an ignore pattern matches it; returns whether it was reported.
    private mutating func report(_ change: DiffChange) -> Bool {
        if ignored(change) { return false }
        record(change)
        return true
    }

    private mutating func record(_ change: DiffChange) {
        summary.changes += 1
        summary.byKind[change.kind, default: 0] += 1
        if changes.count < options.maxStoredChanges {
            changes.append(change)
        } else {
            truncated = true
        }
        onChange?(change)
    }

    private mutating func pair(_ ea: Entry, _ eb: Entry) throws(TranscriptError) {
        let id = try a.identity(ea)
        let relative = view == .wire && (id.recordType == "message" || id.recordType == "frame")
        let differences = RecordComparator.compare(try a.value(ea), try b.value(eb), relativeToFields: relative)
        var reported = false
        if !differences.isEmpty {
            let group = try groupLabel(ea, side: a)
            for difference in differences {
                var change = DiffChange(
                    kind: difference.kind, recordType: id.recordType, category: id.category, group: group,
                    record: id.label, path: difference.path, jsonPath: difference.jsonPath,
                    expected: difference.expected, actual: difference.actual,
                    expectedLocation: location(ea), actualLocation: location(eb))
                if ignored(change) { continue }
                if keepsDetails {
                    (change.contextBefore, change.contextAfter) = difference.context(options.contextFields)
                }
                record(change)
                reported = true
            }
        }
        summary.compared += 1
        if reported { summary.changed += 1 }
        count(kind: ea.kind, method: try method(ea, side: a)) {
            $0.compared += 1
            if reported { $0.changed += 1 }
        }
    }

    private mutating func added(_ e: Entry) throws(TranscriptError) {
        let id = try b.identity(e)
        let change = DiffChange(
            kind: id.recordType == "decode_error" ? .decodeErrorAppeared : .added, recordType: id.recordType,
            category: id.category, group: try groupLabel(e, side: b), record: id.label, path: "", jsonPath: "",
            expected: nil, actual: try b.value(e), expectedLocation: nil, actualLocation: location(e))
        if report(change) {
            summary.added += 1
            count(kind: e.kind, method: try method(e, side: b)) { $0.added += 1 }
        }
    }

    private mutating func removed(_ e: Entry) throws(TranscriptError) {
        let id = try a.identity(e)
        let change = DiffChange(
            kind: id.recordType == "decode_error" ? .decodeErrorVanished : .removed, recordType: id.recordType,
            category: id.category, group: try groupLabel(e, side: a), record: id.label, path: "", jsonPath: "",
            expected: try a.value(e), actual: nil, expectedLocation: location(e), actualLocation: nil)
        if report(change) {
            summary.removed += 1
            count(kind: e.kind, method: try method(e, side: a)) { $0.removed += 1 }
        }
    }

    func report(expected: TranscriptReader, actual: TranscriptReader) -> DiffReport {
        var summary = self.summary
        summary.expectedRecords = a.records
        summary.actualRecords = b.records
        summary.maxLookahead = max(a.maxPending, b.maxPending)
        for (k, counts) in typeCounts.enumerated() where counts != CategoryCounts() {
            summary.byType[names.kinds.names[k]] = counts
        }
        for (k, counts) in methodCounts.enumerated() where counts != CategoryCounts() {
            summary.byMethod[names.methods.names[k]] = counts
        }
        return DiffReport(expected: TranscriptFile(name: expected.name, header: expected.header),
                          actual: TranscriptFile(name: actual.name, header: actual.header),
                          changes: changes, summary: summary, truncated: truncated, window: options.window)
    }
}
