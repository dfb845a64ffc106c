// Base64 for tape bodies, without Foundation round trips, with the position of a bad character.

enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Appends the standard, padded base64 encoding of `bytes` to `out`.
    static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
        alphabet.withUnsafeBufferPointer { a in
            bytes.withUnsafeBufferPointer { p in
                var i = 0
                let n = p.count
                while i + 3 <= n {
                    let v = UInt32(p[i]) << 16 | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2])
                    out.append(a[Int(v >> 18)])
                    out.append(a[Int(v >> 12 & 63)])
                    out.append(a[Int(v >> 6 & 63)])
                    out.append(a[Int(v & 63)])
                    i += 3
                }
                if n - i == 1 {
                    let v = UInt32(p[i]) << 16
                    out.append(a[Int(v >> 18)])
                    out.append(a[Int(v >> 12 & 63)])
                    out.append(UInt8(ascii: "="))
                    out.append(UInt8(ascii: "="))
                } else if n - i == 2 {
                    let v = UInt32(p[i]) << 16 | UInt32(p[i + 1]) << 8
                    out.append(a[Int(v >> 18)])
                    out.append(a[Int(v >> 12 & 63)])
                    out.append(a[Int(v >> 6 & 63)])
                    out.append(UInt8(ascii: "="))
                }
            }
        }
    }

    /// Decodes standard base64; padding is optional. Returns the 0-based index of the first
    /// offending character on failure.
    static func decode(_ text: [UInt8]) -> Result<[UInt8], Base64Error> {
        var end = text.count
        var padding = 0
        while end > 0 && text[end - 1] == UInt8(ascii: "=") && padding < 2 {
            end -= 1
            padding += 1
        }
        if padding > 0 && text.count % 4 != 0 {
            return .failure(Base64Error(index: end, message: "padding does not complete a 4-character group"))
        }
        if end % 4 == 1 {
            return .failure(Base64Error(index: end - 1, message: "length \(text.count) is not a valid base64 length"))
        }
        var out = [UInt8]()
        out.reserveCapacity(end / 4 * 3 + 2)
        var failure: Base64Error?
        decodeTable.withUnsafeBufferPointer { table in
            text.withUnsafeBufferPointer { p in
                var i = 0
                var acc: UInt32 = 0
                var bits = 0
                while i < end {
                    let v = table[Int(p[i])]
                    if v == 0xFF {
                        failure = Base64Error(index: i, message: "invalid base64 character")
                        return
                    }
                    acc = acc << 6 | UInt32(v)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                    }
                    i += 1
                }
            }
        }
        if let failure { return .failure(failure) }
        return .success(out)
    }
}

struct Base64Error: Error {
    var index: Int
    var message: String
}
