#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import JSONKit

/// Where the canonical prefix of a record line puts its kind and tape line:
/// `{"type":"<kind>","line":<digits>,…` (or `"event"`). Lines of another shape are parsed.
struct LineScan {
    var kind: Range<Int>
    var digits: Range<Int>
    var tapeLine: Int
    /// The `method` value of a wire message, when it is within the first few keys.
    var method: Range<Int>?

    private static let typePrefix: [UInt8] = Array(#"{"type":""#.utf8)
    private static let eventPrefix: [UInt8] = Array(#"{"event":""#.utf8)
    private static let lineKey: [UInt8] = Array(#","line":"#.utf8)
    private static let methodKey: [UInt8] = Array(#","method":""#.utf8)
    private static let message: [UInt8] = Array("message".utf8)

    static func scan(_ p: UnsafeBufferPointer<UInt8>, view: TranscriptView) -> LineScan? {
        let prefix = view == .wire ? typePrefix : eventPrefix
        guard p.count > prefix.count + 12 else { return nil }
        for k in 0..<prefix.count where p[k] != prefix[k] { return nil }
        var i = prefix.count
        let kindStart = i
        while i < p.count, isNameByte(p[i]) { i += 1 }
        guard i < p.count, p[i] == 0x22, i > kindStart else { return nil }
        let kindEnd = i
        i += 1
        guard i + lineKey.count < p.count else { return nil }
        for k in 0..<lineKey.count where p[i + k] != lineKey[k] { return nil }
        i += lineKey.count
        let digitsStart = i
        var value = 0
        while i < p.count, p[i] >= 0x30, p[i] <= 0x39, i - digitsStart < 18 {
            value = value * 10 + Int(p[i] - 0x30)
            i += 1
        }
        guard i > digitsStart, i < p.count, p[i] == 0x2C || p[i] == 0x7D else { return nil }
        if p[digitsStart] == 0x30 && i - digitsStart > 1 { return nil }
        var scan = LineScan(kind: kindStart..<kindEnd, digits: digitsStart..<i, tapeLine: value, method: nil)
        if view == .wire && equal(p, scan.kind, message) {
            scan.method = findMethod(p, from: i)
        }
        return scan
    }

    @inline(__always)
    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || (b >= 0x41 && b <= 0x5A)
    }

    private static func findMethod(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        let limit = min(p.count - methodKey.count, start + 160)
        var i = start
        while i < limit {
            if p[i] == 0x2C && p[i + 1] == 0x22 && p[i + 2] == 0x6D {
                var match = true
                for k in 3..<methodKey.count where p[i + k] != methodKey[k] {
                    match = false
                    break
                }
                if match {
                    let nameStart = i + methodKey.count
                    var j = nameStart
                    while j < p.count, isNameByte(p[j]) { j += 1 }
                    guard j < p.count, p[j] == 0x22 else { return nil }
                    return nameStart..<j
                }
            }
            i += 1
        }
        return nil
    }

    static func equal(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ word: [UInt8]) -> Bool {
        guard range.count == word.count else { return false }
        for k in 0..<word.count where p[range.lowerBound + k] != word[k] { return false }
        return true
    }

    /// Whether two record lines are equal except for their tape line digits.
    static func equalExceptLine(_ a: UnsafeBufferPointer<UInt8>, _ da: Range<Int>, _ b: UnsafeBufferPointer<UInt8>, _ db: Range<Int>) -> Bool {
        guard a.count - da.count == b.count - db.count, da.lowerBound == db.lowerBound,
              let pa = a.baseAddress, let pb = b.baseAddress else { return false }
        if memcmp(pa, pb, da.lowerBound) != 0 { return false }
        let tail = a.count - da.upperBound
        return tail == 0 || memcmp(pa + da.upperBound, pb + db.upperBound, tail) == 0
    }
}

/// Interns record kinds and message methods so that per-record counting on the fast path
/// needs no `String`.
final class NameTable {
    private(set) var names: [String] = []
    private var bytes: [[UInt8]] = []
    private var lookup: [String: Int] = [:]

    func index(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        let count = range.count
        for (k, candidate) in bytes.enumerated() where candidate.count == count {
            let same = candidate.withUnsafeBufferPointer { c in
                memcmp(c.baseAddress!, p.baseAddress! + range.lowerBound, count) == 0
            }
            if same { return k }
        }
        return index(String(decoding: UnsafeBufferPointer(rebasing: p[range]), as: UTF8.self))
    }

    func index(_ name: String) -> Int {
        if let k = lookup[name] { return k }
        names.append(name)
        bytes.append(Array(name.utf8))
        lookup[name] = names.count - 1
        return names.count - 1
    }
}

/// One record read ahead into a window (or a group head kept for its members): its bytes,
/// where it is, and, lazily, its parsed value and identity.
final class Entry {
    let raw: [UInt8]
    let fileLine: Int
    let kind: Int
    let method: Int?
    let digits: Range<Int>?
    let tapeLine: Int?
    let isGroupHead: Bool
    /// The head of the group this record belongs to (frame, http…; same tape line); nil for heads.
    let group: Entry?
    private(set) var value: JSONValue?
    var validated: Bool
    private var identityCache: Identity?

    init(raw: [UInt8], fileLine: Int, kind: Int, method: Int?, digits: Range<Int>?, tapeLine: Int?,
         isGroupHead: Bool, group: Entry?, value: JSONValue?, validated: Bool) {
        self.raw = raw
        self.fileLine = fileLine
        self.kind = kind
        self.method = method
        self.digits = digits
        self.tapeLine = tapeLine
        self.isGroupHead = isGroupHead
        self.group = group
        self.value = value
        self.validated = validated || value != nil
    }

    func parsed(file: String, view: TranscriptView) throws(TranscriptError) -> JSONValue {
        if let value { return value }
        let parsed: JSONValue
        do throws(JSONParseError) {
            parsed = try JSONParser.parse(raw)
        } catch {
            throw .malformedLine(file: file, line: fileLine, column: error.offset + 1, message: error.message)
        }
        try TranscriptReader.checkRecord(parsed, view: view, file: file, line: fileLine)
        value = parsed
        validated = true
        return parsed
    }

    func ensureValid(file: String, view: TranscriptView) throws(TranscriptError) {
        if validated { return }
        if JSONValidator.isValid(raw) {
            validated = true
            return
        }
        _ = try parsed(file: file, view: view)
    }

    func identity(file: String, view: TranscriptView) throws(TranscriptError) -> Identity {
        if let identityCache { return identityCache }
        let record = try parsed(file: file, view: view)
        let identity: Identity
        switch view {
        case .events:
            identity = RecordIdentity.events(record)
        case .wire:
            let groupIdentity = try group?.identity(file: file, view: view)
            identity = RecordIdentity.wire(record, group: groupIdentity)
        }
        identityCache = identity
        return identity
    }

    /// Whether two entries are the same record except for the tape line (so equal without parsing).
    func sameBytes(as other: Entry) -> Bool {
        raw.withUnsafeBufferPointer { a in
            other.raw.withUnsafeBufferPointer { b in
                if let da = digits, let db = other.digits { return LineScan.equalExceptLine(a, da, b, db) }
                return a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }
    }
}
