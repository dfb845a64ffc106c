/// UTF-8 checks over raw bytes, without building a `String`.
public enum UTF8Bytes {
    /// Length of the valid UTF-8 sequence starting at `i` (whose lead byte is >= 0x80), or 0.
    @inlinable @inline(__always)
    public static func sequenceLength(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let n = p.count
        let b0 = p[i]
        @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i + k < n && p[i + k] >= lo && p[i + k] <= hi
        }
        switch b0 {
        case 0xC2...0xDF: return cont(1) ? 2 : 0
        case 0xE0: return cont(1, 0xA0) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : 0
        case 0xED: return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0
        case 0xF0: return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4: return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0
        default: return 0
        }
    }

    /// Whether `bytes` are valid UTF-8.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isValid($0) }
    }

    /// Whether the bytes at `p` are valid UTF-8.
    public static func isValid(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < p.count {
            if p[i] < 0x80 {
                i = asciiEnd(p, from: i + 1)
                continue
            }
            let len = sequenceLength(p, at: i)
            if len == 0 { return false }
            i += len
        }
        return true
    }

    /// The index of the first byte from `start` on that is not ASCII, or `p.count`; eight bytes at a time.
    @inline(__always)
    static func asciiEnd(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start
        if let base = p.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= p.count, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & SWAR.high == 0 { i += 8 }
        }
        while i < p.count, p[i] < 0x80 { i += 1 }
        return i
    }

    /// The index past the groups of eight bytes from `start` on that are all ASCII a JSON string
    /// keeps as is (no control character, `"`, `\` or DEL): where a byte-by-byte look must take over.
    @inlinable @inline(__always)
    static func plainGroupsEnd(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start
        guard let base = p.baseAddress else { return i }
        let raw = UnsafeRawPointer(base)
        while i + 8 <= p.count {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if x & SWAR.high != 0 || SWAR.hasEscaped(x) { break }
            i += 8
        }
        return i
    }

    /// Valid UTF-8 with no ASCII control characters other than tab, LF and CR (and no DEL).
    public static func isPrintable(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { p in
            var i = 0
            while i < p.count {
                let b = p[i]
                if b < 0x80 {
                    if (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F { return false }
                    i += 1
                    continue
                }
                let len = sequenceLength(p, at: i)
                if len == 0 { return false }
                i += len
            }
            return true
        }
    }
}

/// Tests on eight bytes at once, packed in a `UInt64`.
@usableFromInline
enum SWAR {
    @inlinable static var ones: UInt64 { 0x0101_0101_0101_0101 }
    @inlinable static var high: UInt64 { 0x8080_8080_8080_8080 }

    /// Whether some byte of `x` is zero.
    @inlinable @inline(__always)
    static func hasZero(_ x: UInt64) -> Bool {
        (x &- ones) & ~x & high != 0
    }

    /// Whether some byte of `x` is a control character, `"`, `\` or DEL: one a JSON string escapes.
    @inlinable @inline(__always)
    static func hasEscaped(_ x: UInt64) -> Bool {
        (x &- ones &* 0x20) & ~x & high != 0
            || hasZero(x ^ (ones &* 0x22)) || hasZero(x ^ (ones &* 0x5C)) || hasZero(x ^ (ones &* 0x7F))
    }
}
