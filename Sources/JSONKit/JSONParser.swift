/// A JSON syntax error, with the byte offset where the input stopped making sense.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 0-based byte offset within the parsed bytes.
    public var offset: Int
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict JSON parser (RFC 8259): one value per input, object keys kept in document order,
/// integers that fit `Int64` as `.int`, other numbers as `.double`, invalid UTF-8 rejected.
public struct JSONParser {
    /// Nesting beyond this depth is an error rather than a stack overflow.
    public static let maxDepth = 512

    private let p: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0

    private init(_ p: UnsafeBufferPointer<UInt8>) { self.p = p }

    /// Parses exactly one JSON value surrounded by optional whitespace.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        if parser.i < bytes.count {
            throw parser.error("unexpected \(parser.describe(bytes[parser.i])) after the end of the JSON value")
        }
        return value
    }

    private func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(offset: offset ?? i, message: message)
    }

    private func describe(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        while i < p.count {
            let b = p[i]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 } else { return }
        }
    }

    private mutating func value() throws(JSONParseError) -> JSONValue {
        guard i < p.count else { throw error("unexpected end of line, expected a value") }
        switch p[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected \(describe(p[i])), expected a value")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let start = i
        let matched = word.withUTF8Buffer { w -> Bool in
            guard start + w.count <= p.count else { return false }
            for k in 0..<w.count where p[start + k] != w[k] { return false }
            return true
        }
        guard matched else { throw error("invalid literal, expected \(word)") }
        i += word.utf8CodeUnitCount
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > JSONParser.maxDepth { throw error("nesting deeper than \(JSONParser.maxDepth) levels") }
    }

    private mutating func object() throws(JSONParseError) -> JSONValue {
        try enter()
        i += 1
        var members: [(String, JSONValue)] = []
        skipWhitespace()
        if i < p.count && p[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard i < p.count else { throw error("unexpected end of line inside an object") }
            guard p[i] == UInt8(ascii: "\"") else { throw error("unexpected \(describe(p[i])), expected a quoted key") }
            let key = try string()
            skipWhitespace()
            guard i < p.count else { throw error("unexpected end of line, expected ':'") }
            guard p[i] == UInt8(ascii: ":") else { throw error("unexpected \(describe(p[i])), expected ':' after key") }
            i += 1
            skipWhitespace()
            members.append((key, try value()))
            skipWhitespace()
            guard i < p.count else { throw error("unexpected end of line inside an object, expected ',' or '}'") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { i += 1; break }
            throw error("unexpected \(describe(p[i])), expected ',' or '}'")
        }
        depth -= 1
        return .object(members)
    }

    private mutating func array() throws(JSONParseError) -> JSONValue {
        try enter()
        i += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if i < p.count && p[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try value())
            skipWhitespace()
            guard i < p.count else { throw error("unexpected end of line inside an array, expected ',' or ']'") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "]") { i += 1; break }
            throw error("unexpected \(describe(p[i])), expected ',' or ']'")
        }
        depth -= 1
        return .array(elements)
    }

    /// Parses a string starting at the opening quote.
    private mutating func string() throws(JSONParseError) -> String {
        let open = i
        i += 1
        let start = i
        try skipPlain()
        if i < p.count && p[i] == 0x22 {
            i += 1
            return String(decoding: UnsafeBufferPointer(rebasing: p[start..<(i - 1)]), as: UTF8.self)
        }
        return String(decoding: try escapedString(open: open, start: start), as: UTF8.self)
    }

    /// Advances past string content that needs no unescaping: valid UTF-8 other than `"`, `\` and
    /// control characters, eight ASCII bytes at a time where it can.
    private mutating func skipPlain() throws(JSONParseError) {
        while i < p.count {
            i = UTF8Bytes.plainGroupsEnd(p, from: i)
            guard i < p.count else { return }
            let b = p[i]
            if b == 0x22 || b == 0x5C || b < 0x20 { return }
            if b < 0x80 {
                i += 1
            } else {
                let len = UTF8Bytes.sequenceLength(p, at: i)
                if len == 0 { throw error("invalid UTF-8 in string") }
                i += len
            }
        }
    }

    /// The rest of a string that `skipPlain` stopped in before its end, from the opening quote at `open`
    /// and its content at `start`: unescaped and validated.
    private mutating func escapedString(open: Int, start: Int) throws(JSONParseError) -> [UInt8] {
        var out = Array(UnsafeBufferPointer(rebasing: p[start..<i]))
        while i < p.count {
            let b = p[i]
            if b == 0x22 {
                i += 1
                return out
            }
            if b < 0x20 { throw error("unescaped control character (\(describe(b))) in string") }
            if b == 0x5C {
                guard i + 1 < p.count else { break }
                let e = p[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    let escapeStart = i - 2
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar <= 0xDBFF {
                        guard i + 1 < p.count, p[i] == 0x5C, p[i + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate \\u\(String(scalar, radix: 16)) in string", at: escapeStart)
                        }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low <= 0xDFFF else {
                            throw error("unpaired surrogate \\u\(String(scalar, radix: 16)) in string", at: escapeStart)
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                        throw error("unpaired surrogate \\u\(String(scalar, radix: 16)) in string", at: escapeStart)
                    }
                    appendUTF8(scalar, to: &out)
                default:
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string", at: i - 2)
                }
                continue
            }
            if b < 0x80 {
                out.append(b)
                i += 1
            } else {
                let len = UTF8Bytes.sequenceLength(p, at: i)
                if len == 0 { throw error("invalid UTF-8 in string") }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<(i + len)]))
                i += len
            }
        }
        throw error("unterminated string", at: open)
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard i + 4 <= p.count else { throw error("incomplete \\u escape") }
        guard let v = Self.hex4(p, at: i) else { throw error("invalid hex digit in \\u escape") }
        i += 4
        return v
    }

    /// The value of the four hex digits at `i`, or nil when there are fewer or one is not hex.
    static func hex4(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> UInt32? {
        guard i + 4 <= p.count else { return nil }
        var v: UInt32 = 0
        for k in i..<(i + 4) {
            let c = p[k]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    private func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | v >> 6))
            out.append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | v >> 12))
            out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        default:
            out.append(UInt8(0xF0 | v >> 18))
            out.append(UInt8(0x80 | v >> 12 & 0x3F))
            out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        }
    }

    private mutating func number() throws(JSONParseError) -> JSONValue {
        let start = i
        var negative = false
        if p[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        func isDigit(_ k: Int) -> Bool { k < p.count && p[k] >= 0x30 && p[k] <= 0x39 }
        guard isDigit(i) else { throw error("invalid number", at: start) }
        let digitsStart = i
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw error("invalid number (leading zero)", at: start) }
        } else {
            while isDigit(i) { i += 1 }
        }
        let digitsEnd = i
        var integral = true
        if i < p.count && p[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard isDigit(i) else { throw error("invalid number (no digits after '.')", at: start) }
            while isDigit(i) { i += 1 }
        }
        if i < p.count && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            integral = false
            i += 1
            if i < p.count && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            guard isDigit(i) else { throw error("invalid number (no digits in exponent)", at: start) }
            while isDigit(i) { i += 1 }
        }
        if integral && digitsEnd - digitsStart <= 18 {
            var v: Int64 = 0
            for k in digitsStart..<digitsEnd { v = v * 10 + Int64(p[k] - 0x30) }
            return .int(negative ? -v : v)
        }
        if integral {
            var v: Int64 = 0
            var overflow = false
            for k in digitsStart..<digitsEnd {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(p[k] - 0x30))
                if o1 || o2 { overflow = true; break }
                v = a
            }
            if !overflow { return .int(negative ? -v : v) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
        return .double(Double(text) ?? .nan)
    }
}

extension JSONParser {
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}
