/// Appends compact JSON to a byte buffer: the one place where LiveTape writes JSON text.
/// Strings are escaped minimally (`"`, `\`, control characters, DEL); other text stays UTF-8.
public struct JSONWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public init(appendingTo bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Appends literal JSON text, e.g. `{"kind":`.
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Writes `v` in decimal; `quoted`, as a JSON string (how 64-bit ids are written).
    public mutating func uint(_ v: UInt64, quoted: Bool = false) {
        digits(v, negative: false, quoted: quoted)
    }

    /// Writes the number in one append: sign, digits and quotes made on the stack first.
    @inline(__always)
    private mutating func digits(_ v: UInt64, negative: Bool, quoted: Bool) {
        if v < 10 && !negative && !quoted {
            bytes.append(UInt8(ascii: "0") + UInt8(v))
            return
        }
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: a quote, a sign, 20 digits, a quote
        withUnsafeMutableBytes(of: &text) { d in
            Self.digitPairs.withUnsafeBufferPointer { pairs in
                var end = 24
                if quoted {
                    end -= 1
                    d[end] = UInt8(ascii: "\"")
                }
                var value = v
                while value >= 100 {
                    let pair = Int(value % 100) * 2
                    value /= 100
                    end -= 2
                    d[end] = pairs[pair]
                    d[end + 1] = pairs[pair + 1]
                }
                if value >= 10 {
                    end -= 2
                    d[end] = pairs[Int(value) * 2]
                    d[end + 1] = pairs[Int(value) * 2 + 1]
                } else {
                    end -= 1
                    d[end] = UInt8(ascii: "0") + UInt8(value)
                }
                if negative {
                    end -= 1
                    d[end] = UInt8(ascii: "-")
                }
                if quoted {
                    end -= 1
                    d[end] = UInt8(ascii: "\"")
                }
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[end...]))
            }
        }
    }

    /// "00" to "99", two digits at a time.
    private static let digitPairs: [UInt8] = (0..<100).flatMap { [UInt8(ascii: "0") + UInt8($0 / 10), UInt8(ascii: "0") + UInt8($0 % 10)] }

    /// Writes `v` in decimal; `quoted`, as a JSON string (how 64-bit ids are written).
    public mutating func int(_ v: Int64, quoted: Bool = false) {
        digits(v.magnitude, negative: v < 0, quoted: quoted)
    }

    /// Integral doubles below 1e15 as integers, others in Swift's shortest round-trip form;
    /// NaN and the infinities, which JSON lacks, as the strings "NaN", "Infinity", "-Infinity".
    public mutating func double(_ d: Double) {
        if d.isNaN {
            string("NaN")
        } else if d.isInfinite {
            string(d < 0 ? "-Infinity" : "Infinity")
        } else if d == d.rounded(.towardZero), abs(d) < 1e15 {
            int(Int64(d))
        } else {
            bytes.append(contentsOf: d.description.utf8)
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
    public mutating func string(validatingUTF8 p: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.append(UInt8(ascii: "\""))
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
            } else if Self.needsEscape(b) {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<i]))
                escape(b)
                i += 1
                runStart = i
            } else {
                i += 1
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart...]))
        bytes.append(UInt8(ascii: "\""))
        return true
    }

    @inline(__always)
    private static func needsEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func escape(_ b: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch b {
        case 0x22, 0x5C: bytes.append(b)
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(Self.hexDigits[Int(b >> 4)])
            bytes.append(Self.hexDigits[Int(b & 0x0F)])
        }
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
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let pairs):
            bytes.append(UInt8(ascii: "{"))
            for (i, (key, item)) in pairs.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                string(key)
                bytes.append(UInt8(ascii: ":"))
                self.value(item)
            }
            bytes.append(UInt8(ascii: "}"))
        case .encoded(let encoded): bytes.append(contentsOf: encoded.bytes)
        }
    }
}
