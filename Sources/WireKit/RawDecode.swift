// decode_raw-style guessing and a schema-less tree decode that keeps the prefix on error.

/// What a length-delimited payload most likely is, guessed without a schema.
///
/// Rule (in this order):
/// 1. empty, or valid UTF-8 whose characters are all printable (no C0/C1 controls or DEL,
///    except tab, LF and CR) → `.string` (avoids reading short text such as `"hello"` as a message);
/// 2. the whole range parses as at least one field (groups checked up to the depth limit) → `.message`;
/// 3. valid UTF-8 → `.string`;
/// 4. otherwise `.bytes`.
public enum WireGuess: Sendable, Hashable {
    /// A nested message.
    case message
    /// Text.
    case string
    /// Opaque bytes.
    case bytes

    /// Classifies `range` (default: all) of `bytes`.
    public static func classify(_ bytes: [UInt8], range: Range<Int>? = nil, maxDepth: Int = 64) -> WireGuess {
        let r = range ?? 0..<bytes.count
        precondition(r.lowerBound >= 0 && r.upperBound <= bytes.count, "range outside buffer")
        return bytes.withUnsafeBufferPointer { b in
            classify(b.baseAddress, r, maxDepth: maxDepth)
        }
    }

    /// Classifies the bytes of `buffer`.
    public static func classify(_ buffer: UnsafeRawBufferPointer, maxDepth: Int = 64) -> WireGuess {
        classify(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), 0..<buffer.count, maxDepth: maxDepth)
    }

    static func classify(_ p: UnsafePointer<UInt8>?, _ r: Range<Int>, maxDepth: Int) -> WireGuess {
        guard let p, !r.isEmpty else { return .string }
        let text = UTF8Scan.scan(p, r)
        if text == .printable { return .string }
        if parsesAsFields(p, r, maxGroupDepth: maxDepth) { return .message }
        return text == .invalid ? .bytes : .string
    }

    static func parsesAsFields(_ p: UnsafePointer<UInt8>, _ r: Range<Int>, maxGroupDepth: Int) -> Bool {
        var pos = r.lowerBound
        if pos >= r.upperBound { return false }
        do {
            while pos < r.upperBound {
                _ = try WireScan.field(p, &pos, r.upperBound, maxDepth: maxGroupDepth)
            }
            return true
        } catch {
            return false
        }
    }
}

/// One step of UTF-8 validation combined with a printability check.
enum UTF8Scan {
    enum Result { case printable, valid, invalid }

    static func scan(_ p: UnsafePointer<UInt8>, _ r: Range<Int>) -> Result {
        var printable = true
        var i = r.lowerBound
        let end = r.upperBound
        while i < end {
            let b = p[i]
            if b < 0x80 {
                if b < 0x20 {
                    if b != 0x09 && b != 0x0A && b != 0x0D { printable = false }
                } else if b == 0x7F {
                    printable = false
                }
                i &+= 1
                continue
            }
            let need: Int
            var lo: UInt8 = 0x80
            var hi: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF:
                need = 1
                if b == 0xC2, i + 1 < end, p[i + 1] < 0xA0 { printable = false }  // C1 controls
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return .invalid
            }
            if end - i <= need { return .invalid }
            let b1 = p[i + 1]
            if b1 < lo || b1 > hi { return .invalid }
            var k = 2
            while k <= need {
                let c = p[i + k]
                if c & 0xC0 != 0x80 { return .invalid }
                k += 1
            }
            i += need + 1
        }
        return printable ? .printable : .valid
    }
}

/// One field of a schema-less decode.
public struct RawField: Sendable, Hashable {
    /// Field number.
    public var number: Int
    /// Absolute offset of the tag.
    public var offset: Int
    /// Decoded value.
    public var node: RawNode

    /// Creates a field.
    public init(number: Int, offset: Int, node: RawNode) {
        self.number = number
        self.offset = offset
        self.node = node
    }
}

/// A schema-less decoded value; length-delimited payloads are guessed with the
/// ``WireGuess`` rule. Ranges are absolute within the decoded buffer.
public indirect enum RawNode: Sendable, Hashable {
    /// Raw varint.
    case varint(UInt64)
    /// Raw fixed64.
    case fixed64(UInt64)
    /// Raw fixed32.
    case fixed32(UInt32)
    /// A length-delimited payload guessed as text.
    case string(String, range: Range<Int>)
    /// A length-delimited payload that is neither a message nor UTF-8 (a copy of it).
    case bytes([UInt8], range: Range<Int>)
    /// A length-delimited payload that parsed as a message.
    case message([RawField], range: Range<Int>)
    /// A group and its fields.
    case group([RawField], range: Range<Int>)
}

/// Decodes `range` (default: all) of `bytes` as a message without a schema, like
/// `protoc --decode_raw`, but never losing work: it returns every field decoded before
/// the first structural error, together with that error (nil when all bytes decoded).
/// `maxDepth` bounds message/group nesting; payloads below it are kept as string/bytes.
public func decodeRaw(
    _ bytes: [UInt8], range: Range<Int>? = nil, maxDepth: Int = 64
) -> (fields: [RawField], error: WireError?) {
    let r = range ?? 0..<bytes.count
    precondition(r.lowerBound >= 0 && r.upperBound <= bytes.count, "range outside buffer")
    if r.isEmpty { return ([], nil) }
    return bytes.withUnsafeBufferPointer { b in
        RawDecoder(p: b.baseAddress!, maxDepth: maxDepth).fields(r, depth: 0)
    }
}

struct RawDecoder {
    let p: UnsafePointer<UInt8>
    let maxDepth: Int

    func fields(_ r: Range<Int>, depth: Int) -> (fields: [RawField], error: WireError?) {
        var out: [RawField] = []
        var pos = r.lowerBound
        let groupLimit = max(0, maxDepth - depth)
        while pos < r.upperBound {
            let f: WireField
            do {
                f = try WireScan.field(p, &pos, r.upperBound, maxDepth: groupLimit)
            } catch {
                return (out, error)
            }
            let node: RawNode
            switch f.value {
            case .varint(let v): node = .varint(v)
            case .fixed64(let v): node = .fixed64(v)
            case .fixed32(let v): node = .fixed32(v)
            case .lengthDelimited(let lr): node = payload(lr, depth: depth)
            case .group(let gr):
                let inner = fields(gr, depth: depth + 1)
                if let e = inner.error {  // not expected: the group was validated when skipped
                    out.append(RawField(number: f.number, offset: f.offset, node: .group(inner.fields, range: gr)))
                    return (out, e)
                }
                node = .group(inner.fields, range: gr)
            }
            out.append(RawField(number: f.number, offset: f.offset, node: node))
        }
        return (out, nil)
    }

    func payload(_ r: Range<Int>, depth: Int) -> RawNode {
        if r.isEmpty { return .string("", range: r) }
        let text = UTF8Scan.scan(p, r)
        if text == .printable { return .string(string(r), range: r) }
        if depth + 1 <= maxDepth {
            let inner = fields(r, depth: depth + 1)
            if inner.error == nil && !inner.fields.isEmpty { return .message(inner.fields, range: r) }
        }
        if text == .valid { return .string(string(r), range: r) }
        return .bytes(Array(UnsafeBufferPointer(start: p + r.lowerBound, count: r.count)), range: r)
    }

    func string(_ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: p + r.lowerBound, count: r.count), as: UTF8.self)
    }
}
