import Foundation

/// A `ws_message` line in the layout `TapeEncoder` writes —
/// `{"t_us":…,"kind":"ws_message","conn":…,"dir":"…","opcode":"…"[,"compressed":true][,"payload":{"base64":"…"}]}` —
/// read straight from its bytes, its payload decoded from the base64 where it lies, without a JSON
/// tree. Any other line, or any doubt (a number with a sign or a leading zero, a text payload, bad
/// base64), is nil: the general reader takes it, and says what is wrong if anything is.
enum MessageLine {
    static func decode(_ line: UnsafeBufferPointer<UInt8>) -> WebSocketMessage? {
        var scan = LineScan(line)
        guard scan.skip("{\"t_us\":"), let time = scan.integer(),
              scan.skip(",\"kind\":\"ws_message\",\"conn\":"), let conn = scan.integer(),
              scan.skip(",\"dir\":")
        else { return nil }
        let direction: TapeDirection
        if scan.skip("\"recv\"") { direction = .recv } else if scan.skip("\"send\"") { direction = .send } else { return nil }
        // Only a plain name matches an opcode's: anything escaped or unknown is left to the general reader.
        guard scan.skip(",\"opcode\":\""), let name = scan.untilQuote(),
              let opcode = WebSocketOpcode(name: String(decoding: name, as: UTF8.self)) else { return nil }
        let compressed = scan.skip(",\"compressed\":true")
        var payload = Body.empty
        if scan.skip(",\"payload\":{\"base64\":\"") {
            // Base64 decoding rejects any byte a JSON string would escape or a base64 string lacks.
            guard let text = scan.untilQuote(), case .success(let bytes) = Base64.decode(text) else { return nil }
            payload = Body(bytes)
            guard scan.skip("}") else { return nil }
        }
        guard scan.skip("}"), scan.atEnd else { return nil }
        return WebSocketMessage(timeMicros: UInt64(time), conn: conn, direction: direction, opcode: opcode,
                                payload: payload, compressed: compressed)
    }
}

/// Reads a line left to right, byte for byte.
private struct LineScan {
    let line: UnsafeBufferPointer<UInt8>
    var at = 0

    init(_ line: UnsafeBufferPointer<UInt8>) { self.line = line }

    var atEnd: Bool { at == line.count }

    /// Steps over `text` when the line continues with it.
    mutating func skip(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard line.count - at >= count,
              memcmp(line.baseAddress! + at, text.utf8Start, count) == 0 else { return false }
        at += count
        return true
    }

    /// Digits of an integer from 0 to `Int64.max`, without sign or leading zero (what follows, a
    /// fraction or exponent included, is for the caller's next `skip` to accept or not).
    mutating func integer() -> Int? {
        let start = at
        var value = 0
        while at < line.count, case let digit = line[at] &- UInt8(ascii: "0"), digit < 10 {
            let (times10, over1) = value.multipliedReportingOverflow(by: 10)
            let (sum, over2) = times10.addingReportingOverflow(Int(digit))
            guard !over1, !over2 else { return nil }
            value = sum
            at += 1
        }
        guard at > start, line[start] != UInt8(ascii: "0") || at == start + 1 else { return nil }
        return value
    }

    /// The bytes up to the next quote (stepped over), unchecked.
    mutating func untilQuote() -> UnsafeBufferPointer<UInt8>? {
        let rest = line.count - at
        guard rest > 0, let quote = memchr(line.baseAddress! + at, Int32(UInt8(ascii: "\"")), rest) else { return nil }
        let count = UnsafeRawPointer(quote) - UnsafeRawPointer(line.baseAddress! + at)
        defer { at += count + 1 }
        return UnsafeBufferPointer(start: line.baseAddress! + at, count: count)
    }
}
