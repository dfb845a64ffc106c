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
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: (bytes.count + 2) / 3 * 4))
        alphabet.withUnsafeBufferPointer { a in
            bytes.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in
                    var i = 0, j = start
                    let n = p.count
                    while i + 3 <= n {
                        let v = Int(p[i]) << 16 | Int(p[i + 1]) << 8 | Int(p[i + 2])
                        o[j] = a[v >> 18]
                        o[j + 1] = a[v >> 12 & 63]
                        o[j + 2] = a[v >> 6 & 63]
                        o[j + 3] = a[v & 63]
                        i += 3
                        j += 4
                    }
                    // One or two bytes left: two or three characters, the rest stays padding.
                    if i < n {
                        let v = Int(p[i]) << 16 | (i + 1 < n ? Int(p[i + 1]) << 8 : 0)
                        o[j] = a[v >> 18]
                        o[j + 1] = a[v >> 12 & 63]
                        if i + 1 < n { o[j + 2] = a[v >> 6 & 63] }
                    }
                }
            }
        }
    }

    /// Decodes standard base64; padding is optional. Returns the 0-based index of the first
    /// offending character on failure.
    static func decode(_ text: [UInt8]) -> Result<[UInt8], Base64Error> {
        text.withUnsafeBufferPointer { decode($0) }
    }

    /// ``decode(_:)`` of the characters at `text`.
    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], Base64Error> {
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
        let groups = end / 4, rest = end % 4
        let count = groups * 3 + (rest == 0 ? 0 : rest - 1)
        var failure: Base64Error?
        let out = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            decodeTable.withUnsafeBufferPointer { table in
                /// The 6-bit values of `width` characters from `i`, packed from the top; nil at a bad character.
                func group(_ i: Int, _ width: Int) -> UInt32? {
                    var acc: UInt32 = 0
                    var seen: UInt8 = 0  // the values or'ed: 0xFF marks a bad character
                    for k in 0..<4 {
                        let v = k < width ? table[Int(text[i + k])] : 0
                        seen |= v
                        acc = acc << 6 | UInt32(v & 0x3F)
                    }
                    guard seen & 0x80 != 0 else { return acc }
                    let bad = (0..<width).first { table[Int(text[i + $0])] == 0xFF }!
                    failure = Base64Error(index: i + bad, message: "invalid base64 character")
                    return nil
                }
                var o = 0
                for g in 0..<groups {
                    guard let v = group(g * 4, 4) else { return }
                    out[o] = UInt8(truncatingIfNeeded: v >> 16)
                    out[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    out[o + 2] = UInt8(truncatingIfNeeded: v)
                    o += 3
                }
                if rest > 0 {
                    guard let v = group(groups * 4, rest) else { return }
                    out[o] = UInt8(truncatingIfNeeded: v >> 16)
                    if rest == 3 { out[o + 1] = UInt8(truncatingIfNeeded: v >> 8) }
                }
            }
            // UInt8 is trivial: nothing written before a failure needs deinitializing.
            initialized = failure == nil ? count : 0
        }
        if let failure { return .failure(failure) }
        return .success(out)
    }
}

struct Base64Error: Error {
    var index: Int
    var message: String
}
