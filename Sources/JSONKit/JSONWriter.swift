/// Where JSON text is written: a byte array (`JSONWriter`) or memory written through a pointer
/// (`JSONBuffer`). The text itself is made once, by the methods of this protocol's extension:
/// compact JSON, strings escaped minimally (`"`, `\`, control characters, DEL), other text kept as UTF-8.
public protocol JSONTextOutput: ~Copyable {
    mutating func append(_ byte: UInt8)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>)
    /// Appends `count` bytes from `source`, past which bytes can be read up to the next multiple of
    /// `JSONBuffer.padding` (so that they can be moved that many at a time).
    mutating func appendPadded(_ source: UnsafeRawPointer, count: Int)
    /// Appends the bytes `body` writes in place, at most `maxCount`; `body` returns how many it wrote.
    mutating func appendWritten(maxCount: Int, _ body: (UnsafeMutableRawPointer) -> Int)
}

/// Appends compact JSON to a byte array (the text as `JSONTextOutput` makes it).
public struct JSONWriter: JSONTextOutput {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public init(appendingTo bytes: [UInt8]) {
        self.bytes = bytes
    }

    @inlinable
    public mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    @inlinable
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes.append(contentsOf: bytes)
    }

    @inlinable
    public mutating func appendPadded(_ source: UnsafeRawPointer, count: Int) {
        append(UnsafeBufferPointer(start: source.assumingMemoryBound(to: UInt8.self), count: count))
    }

    @inlinable
    public mutating func appendWritten(maxCount: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        bytes.append(addingCapacity: maxCount) { span in
            span.withUnsafeMutableBufferPointer { buffer, count in
                count += body(UnsafeMutableRawPointer(buffer.baseAddress! + count))
            }
        }
    }
}

/// Growable memory that JSON is written to through a pointer: one capacity test per write, no
/// reference counting, no uniqueness check. For text written at high rates (the decoder's walk over
/// every field); the text is then copied out, e.g. with `copyBytes(_:)`.
public struct JSONBuffer: ~Copyable, JSONTextOutput {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var written = 0

    /// The bytes written so far.
    public var count: Int { written }

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deallocate()
    }

    @inlinable
    public mutating func append(_ byte: UInt8) {
        if written == capacity { grow(minimum: written + 1) }
        base[written] = byte
        written += 1
    }

    @inlinable
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        if written + bytes.count > capacity { grow(minimum: written + bytes.count) }
        (base + written).update(from: source, count: bytes.count)
        written += bytes.count
    }

    /// How many bytes `appendPadded` moves at a time.
    @inlinable public static var padding: Int { 32 }

    /// Moves 32 bytes at a time (once, for most keys and numbers), rather than calling `memmove`: a short
    /// copy of varying length costs a branch that is hard to predict.
    @inlinable @inline(__always)
    public mutating func appendPadded(_ source: UnsafeRawPointer, count: Int) {
        let padded = (count + Self.padding - 1) & ~(Self.padding - 1)
        if written + padded > capacity { grow(minimum: written + padded) }
        let target = UnsafeMutableRawPointer(base + written)
        var offset = 0
        while offset < count {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: SIMD32<UInt8>.self),
                              toByteOffset: offset, as: SIMD32<UInt8>.self)
            offset += Self.padding
        }
        written += count
    }

    @inlinable @inline(__always)
    public mutating func appendWritten(maxCount: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        if written + maxCount > capacity { grow(minimum: written + maxCount) }
        written += body(UnsafeMutableRawPointer(base + written))
    }

    @usableFromInline
    mutating func grow(minimum: Int) {
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: max(minimum, capacity * 2))
        larger.initialize(from: base, count: count)
        base.deallocate()
        base = larger
        capacity = max(minimum, capacity * 2)
    }

    /// Forgets what was written from `count` on (to drop a walk that gave up).
    public mutating func removeLast(from count: Int) {
        precondition((0...self.count).contains(count))
        written = count
    }

    /// Whether the bytes written in two ranges are the same.
    public func bytesEqual(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        precondition(a.lowerBound >= 0 && a.upperBound <= count && b.lowerBound >= 0 && b.upperBound <= count)
        return a.count == b.count
            && UnsafeBufferPointer(start: base + a.lowerBound, count: a.count)
                .elementsEqual(UnsafeBufferPointer(start: base + b.lowerBound, count: b.count))
    }

    /// A copy of the bytes in `range`.
    public func copyBytes(_ range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count)
        return Array(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
    }
}

extension JSONTextOutput where Self: ~Copyable {
    /// Appends literal JSON text, e.g. `{"kind":`.
    @inlinable
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    /// Writes `v` in decimal; `quoted`, as a JSON string (how 64-bit ids are written).
    @inlinable
    public mutating func uint(_ v: UInt64, quoted: Bool = false) {
        digits(v, negative: false, quoted: quoted)
    }

    /// Writes `v` in decimal; `quoted`, as a JSON string (how 64-bit ids are written).
    @inlinable
    public mutating func int(_ v: Int64, quoted: Bool = false) {
        digits(v.magnitude, negative: v < 0, quoted: quoted)
    }

    /// Writes the number in place: sign, digits and quotes.
    @inlinable @inline(__always)
    mutating func digits(_ v: UInt64, negative: Bool, quoted: Bool) {
        if v < 10 && !negative && !quoted {
            append(UInt8(ascii: "0") + UInt8(v))
            return
        }
        appendWritten(maxCount: 23) { JSONDigits.write(v, negative: negative, quoted: quoted, to: $0) }
    }

    /// Integral doubles below 1e15 as integers, others in Swift's shortest round-trip form;
    /// NaN and the infinities, which JSON lacks, as the strings "NaN", "Infinity", "-Infinity".
    public mutating func double(_ d: Double) {
        if d.isNaN {
            raw("\"NaN\"")
        } else if d.isInfinite {
            d < 0 ? raw("\"-Infinity\"") : raw("\"Infinity\"")
        } else if d == d.rounded(.towardZero), abs(d) < 1e15 {
            int(Int64(d))
        } else {
            var text = d.description
            text.withUTF8 { append($0) }
        }
    }

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { string(utf8: $0) }
    }

    /// Writes UTF-8 bytes as a JSON string.
    public mutating func string(utf8 p: UnsafeBufferPointer<UInt8>) {
        _ = string(validatingUTF8: p)
    }

    /// Writes bytes as a JSON string when they are valid UTF-8, checked in the same pass; false when
    /// they are not, with part of the string written (for writers that then discard what they wrote).
    /// Skips eight bytes at a time while they are ASCII that needs no escaping.
    @inlinable
    public mutating func string(validatingUTF8 p: UnsafeBufferPointer<UInt8>) -> Bool {
        append(UInt8(ascii: "\""))
        var runStart = 0
        var i = 0
        while i < p.count {
            i = UTF8Bytes.plainGroupsEnd(p, from: i)
            guard i < p.count else { break }
            let b = p[i]
            if b >= 0x80 {
                let length = UTF8Bytes.sequenceLength(p, at: i)
                if length == 0 { return false }
                i += length
            } else if JSONEscape.needed(b) {
                append(UnsafeBufferPointer(rebasing: p[runStart..<i]))
                JSONEscape.withEscape(b) { append($0) }
                i += 1
                runStart = i
            } else {
                i += 1
            }
        }
        append(UnsafeBufferPointer(rebasing: p[runStart...]))
        append(UInt8(ascii: "\""))
        return true
    }

    /// Writes a value canonically: keys in their stored order, no white space.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let b): b ? raw("true") : raw("false")
        case .int(let n): int(n)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .array(let items):
            append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { append(UInt8(ascii: ",")) }
                self.value(item)
            }
            append(UInt8(ascii: "]"))
        case .object(let pairs):
            append(UInt8(ascii: "{"))
            for (i, (key, item)) in pairs.enumerated() {
                if i > 0 { append(UInt8(ascii: ",")) }
                string(key)
                append(UInt8(ascii: ":"))
                self.value(item)
            }
            append(UInt8(ascii: "}"))
        case .encoded(let encoded): encoded.bytes.withUnsafeBufferPointer { append($0) }
        }
    }
}

/// Decimal digits, written in place from the last: eight at a time with 32-bit arithmetic (a 64-bit
/// id has 19), two at a time from a table.
@usableFromInline
enum JSONDigits {
    /// "00" to "99", two digits at a time.
    private static let pairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    /// Writes `v` with its sign and quotes at `out` (at most 23 bytes); returns how many bytes it wrote.
    @usableFromInline
    static func write(_ v: UInt64, negative: Bool, quoted: Bool, to out: UnsafeMutableRawPointer) -> Int {
        var start = 0
        if quoted {
            out.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
            start += 1
        }
        if negative {
            out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: start, as: UInt8.self)
            start += 1
        }
        let length = start + count(v)
        var end = length
        var value = v
        while value >= 100_000_000 {
            let chunk = UInt32(truncatingIfNeeded: value % 100_000_000)
            value /= 100_000_000
            end -= 8
            let high = chunk / 10_000, low = chunk % 10_000
            pair(high / 100, out + end)
            pair(high % 100, out + end + 2)
            pair(low / 100, out + end + 4)
            pair(low % 100, out + end + 6)
        }
        var rest = UInt32(truncatingIfNeeded: value)
        while rest >= 100 {
            end -= 2
            pair(rest % 100, out + end)
            rest /= 100
        }
        if rest >= 10 {
            pair(rest, out + end - 2)
        } else {
            out.storeBytes(of: UInt8(ascii: "0") + UInt8(rest), toByteOffset: end - 1, as: UInt8.self)
        }
        if quoted {
            out.storeBytes(of: UInt8(ascii: "\""), toByteOffset: length, as: UInt8.self)
            return length + 1
        }
        return length
    }

    /// How many decimal digits `v` has.
    @inline(__always)
    private static func count(_ v: UInt64) -> Int {
        // log10 from the bit length (1233 / 4096 ≈ log10(2)): a guess one short when v has reached the next
        // power of ten.
        let v = v | 1  // 0 has one digit, as 1 has
        let guess = ((64 - v.leadingZeroBitCount) * 1233) >> 12
        return guess + (v >= powersOfTen[guess] ? 1 : 0)
    }

    /// 10⁰ to 10¹⁹, as literals: the array is then laid out when the program is built, not at its first use.
    private static let powersOfTen: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ]

    /// Writes the two digits of `n` (below 100) at `target`.
    @inline(__always)
    private static func pair(_ n: UInt32, _ target: UnsafeMutableRawPointer) {
        target.storeBytes(of: UnsafeRawPointer(pairs.utf8Start + Int(n) * 2).loadUnaligned(as: UInt16.self), as: UInt16.self)
    }
}

/// The escapes of JSON strings.
@usableFromInline
enum JSONEscape {
    @inlinable @inline(__always)
    static func needed(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F
    }

    /// Calls `body` with the escape of `b` (one that `needed(_:)` accepts), made on the stack.
    @usableFromInline
    static func withEscape(_ b: UInt8, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var text: UInt64 = 0
        withUnsafeMutableBytes(of: &text) { d in
            d[0] = UInt8(ascii: "\\")
            var count = 2
            switch b {
            case 0x22, 0x5C: d[1] = b
            case 0x0A: d[1] = UInt8(ascii: "n")
            case 0x0D: d[1] = UInt8(ascii: "r")
            case 0x09: d[1] = UInt8(ascii: "t")
            case 0x08: d[1] = UInt8(ascii: "b")
            case 0x0C: d[1] = UInt8(ascii: "f")
            default:
                let hex: StaticString = "0123456789abcdef"
                d[1] = UInt8(ascii: "u")
                d[2] = UInt8(ascii: "0")
                d[3] = UInt8(ascii: "0")
                d[4] = hex.utf8Start[Int(b >> 4)]
                d[5] = hex.utf8Start[Int(b & 0x0F)]
                count = 6
            }
            body(UnsafeBufferPointer(start: d.bindMemory(to: UInt8.self).baseAddress, count: count))
        }
    }
}
