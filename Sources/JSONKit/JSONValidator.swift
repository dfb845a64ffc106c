/// Checks that bytes are exactly one JSON value under the same rules as `JSONParser`
/// (RFC 8259, strict UTF-8, escapes and surrogate pairs, nesting up to `JSONParser.maxDepth`)
/// without building a value: the diff's fast path validates records it never needs to parse.
/// On `false`, run `JSONParser` for the error message and offset.
public struct JSONValidator {
    private let p: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0

    private init(_ p: UnsafeBufferPointer<UInt8>) { self.p = p }

    /// Whether `bytes` hold exactly one valid JSON value.
    public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var v = JSONValidator(bytes)
        v.skipWhitespace()
        guard v.value() else { return false }
        v.skipWhitespace()
        return v.i == bytes.count
    }

    /// Whether `bytes` hold exactly one valid JSON value.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isValid($0) }
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while i < p.count {
            let b = p[i]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 } else { return }
        }
    }

    private mutating func value() -> Bool {
        guard i < p.count else { return false }
        switch p[i] {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return literal(0x74, 0x72, 0x75, 0x65)
        case UInt8(ascii: "f"):
            guard i + 5 <= p.count, p[i + 1] == 0x61, p[i + 2] == 0x6C, p[i + 3] == 0x73, p[i + 4] == 0x65 else { return false }
            i += 5
            return true
        case UInt8(ascii: "n"): return literal(0x6E, 0x75, 0x6C, 0x6C)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
        default: return false
        }
    }

    @inline(__always)
    private mutating func literal(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> Bool {
        guard i + 4 <= p.count, p[i] == a, p[i + 1] == b, p[i + 2] == c, p[i + 3] == d else { return false }
        i += 4
        return true
    }

    private mutating func object() -> Bool {
        depth += 1
        if depth > JSONParser.maxDepth { return false }
        i += 1
        skipWhitespace()
        if i < p.count && p[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return true
        }
        while true {
            skipWhitespace()
            guard i < p.count, p[i] == UInt8(ascii: "\""), string() else { return false }
            skipWhitespace()
            guard i < p.count, p[i] == UInt8(ascii: ":") else { return false }
            i += 1
            skipWhitespace()
            guard value() else { return false }
            skipWhitespace()
            guard i < p.count else { return false }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { i += 1; break }
            return false
        }
        depth -= 1
        return true
    }

    private mutating func array() -> Bool {
        depth += 1
        if depth > JSONParser.maxDepth { return false }
        i += 1
        skipWhitespace()
        if i < p.count && p[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return true
        }
        while true {
            skipWhitespace()
            guard value() else { return false }
            skipWhitespace()
            guard i < p.count else { return false }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "]") { i += 1; break }
            return false
        }
        depth -= 1
        return true
    }

    /// A string starting at the opening quote.
    private mutating func string() -> Bool {
        i += 1
        let n = p.count
        while i < n {
            let b = p[i]
            if b >= 0x20 && b < 0x80 {
                if b == 0x22 {
                    i += 1
                    return true
                }
                if b == 0x5C {
                    guard escape() else { return false }
                    continue
                }
                i += 1
                continue
            }
            if b < 0x20 { return false }
            let len = UTF8Bytes.sequenceLength(p, at: i)
            if len == 0 { return false }
            i += len
        }
        return false
    }

    /// An escape starting at the backslash.
    private mutating func escape() -> Bool {
        guard i + 1 < p.count else { return false }
        let e = p[i + 1]
        i += 2
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return true
        case UInt8(ascii: "u"):
            guard let scalar = hex4() else { return false }
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard i + 1 < p.count, p[i] == 0x5C, p[i + 1] == UInt8(ascii: "u") else { return false }
                i += 2
                guard let low = hex4(), low >= 0xDC00 && low <= 0xDFFF else { return false }
                return true
            }
            return !(scalar >= 0xDC00 && scalar <= 0xDFFF)
        default:
            return false
        }
    }

    private mutating func hex4() -> UInt32? {
        guard let v = JSONParser.hex4(p, at: i) else { return nil }
        i += 4
        return v
    }

    @inline(__always)
    private func isDigit(_ k: Int) -> Bool { k < p.count && p[k] >= 0x30 && p[k] <= 0x39 }

    private mutating func number() -> Bool {
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { return false }
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { return false }
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < p.count && p[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { return false }
            while isDigit(i) { i += 1 }
        }
        if i < p.count && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            i += 1
            if i < p.count && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            guard isDigit(i) else { return false }
            while isDigit(i) { i += 1 }
        }
        return true
    }
}
