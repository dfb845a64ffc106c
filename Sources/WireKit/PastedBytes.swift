// Recognizing frames pasted into bug reports as raw bytes, hex or base64.

/// Decodes bytes pasted by a person: raw binary, hex or base64.
///
/// Rule, in order:
/// 1. If the input contains any byte that is not printable ASCII or whitespace → `.binary`.
/// 2. **Hex** when, after removing whitespace, `:` and `,` separators and `0x`/`0X`
///    prefixes (at the start or after a separator), what remains is non-empty, only hex
///    digits, and of even length. Hex wins over base64 (e.g. `deadbeef` is hex).
/// 3. **Base64** when, after removing whitespace, the text uses one alphabet — standard
///    (`+/`) or URL-safe (`-_`) — has `=` padding only at the end (at most two, making
///    the length a multiple of 4) or no padding (length mod 4 ≠ 1), and the unused low
///    bits of the last character are zero (canonical encoding).
/// 4. Otherwise `.binary`: the input is returned unchanged.
public enum PastedBytes {
    /// How the input was encoded.
    public enum Encoding: Sendable, Hashable {
        /// Used as-is.
        case binary
        /// Base64, standard or URL-safe.
        case base64
        /// Hexadecimal.
        case hex
    }

    /// Detects the encoding of `input` and returns the decoded bytes.
    public static func decode(_ input: [UInt8]) -> (bytes: [UInt8], encoding: Encoding) {
        if input.isEmpty { return (input, .binary) }
        for b in input where !(b >= 0x20 && b < 0x7F) && !isSpace(b) {
            return (input, .binary)
        }
        if let h = hex(input) { return (h, .hex) }
        if let b = base64(input) { return (b, .base64) }
        return (input, .binary)
    }

    /// Convenience for text.
    public static func decode(_ text: String) -> (bytes: [UInt8], encoding: Encoding) {
        decode(Array(text.utf8))
    }

    static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// The bytes hex text spells (separators `:`, `,`, whitespace and `0x` prefixes allowed), or
    /// nil when it is not an even number of hex digits.
    public static func hex(_ input: [UInt8]) -> [UInt8]? {
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(input.count)
        var i = 0
        var atTokenStart = true
        while i < input.count {
            let b = input[i]
            if isSpace(b) || b == 0x3A || b == 0x2C {
                atTokenStart = true
                i += 1
                continue
            }
            if atTokenStart, b == 0x30, i + 1 < input.count, input[i + 1] | 0x20 == 0x78 {
                i += 2  // 0x / 0X prefix
                atTokenStart = false
                continue
            }
            atTokenStart = false
            guard let v = hexValue(b) else { return nil }
            nibbles.append(v)
            i += 1
        }
        guard !nibbles.isEmpty, nibbles.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(nibbles.count / 2)
        var k = 0
        while k < nibbles.count {
            out.append(nibbles[k] << 4 | nibbles[k + 1])
            k += 2
        }
        return out
    }

    static func base64(_ input: [UInt8]) -> [UInt8]? {
        var chars: [UInt8] = []
        chars.reserveCapacity(input.count)
        var padding = 0
        var standard = false
        var urlSafe = false
        for b in input {
            if isSpace(b) { continue }
            if b == 0x3D {  // '='
                padding += 1
                continue
            }
            if padding > 0 { return nil }  // data after padding
            let v: UInt8
            switch b {
            case 0x41...0x5A: v = b - 0x41
            case 0x61...0x7A: v = b - 0x61 + 26
            case 0x30...0x39: v = b - 0x30 + 52
            case 0x2B: v = 62; standard = true  // '+'
            case 0x2F: v = 63; standard = true  // '/'
            case 0x2D: v = 62; urlSafe = true  // '-'
            case 0x5F: v = 63; urlSafe = true  // '_'
            default: return nil
            }
            chars.append(v)
        }
        if chars.isEmpty || (standard && urlSafe) || padding > 2 { return nil }
        let rem = chars.count % 4
        if rem == 1 { return nil }
        if padding > 0 && (chars.count + padding) % 4 != 0 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for v in chars {
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                acc &= (1 << UInt32(bits)) - 1
            }
        }
        if acc != 0 { return nil }  // non-canonical trailing bits
        return out
    }
}
