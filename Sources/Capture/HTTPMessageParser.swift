import Foundation
import Tape

/// An HTTP/1.1 message as it came off one direction of a connection.
public struct HTTPMessage: Sendable, Hashable {
    /// `GET /path HTTP/1.1` or `HTTP/1.1 200 OK`, split on the first two spaces.
    public var startLine: [String]
    public var headers: [HTTPHeader]
    /// The body after chunked decoding (content encodings are left to the caller).
    public var body: [UInt8]
    /// Capture time of the message's first byte.
    public var timeMicros: UInt64
}

/// Splits one direction of an HTTP/1.1 connection into messages: Content-Length, chunked,
/// pipelined, or (responses) up to the end of the connection. After a `101` response or an
/// upgrade request the rest of the stream belongs to the upgraded protocol.
struct HTTPMessageParser {
    enum Framing { case request, response }
    let framing: Framing
    private var buffer: [UInt8] = []
    private var head: (startLine: [String], headers: [HTTPHeader], time: UInt64)?
    private var firstByteTime: UInt64?
    /// Methods of the requests whose responses are still due (HEAD responses have no body).
    var pendingRequestMethods: [String] = []
    /// Set once the stream switched protocols; the bytes that followed are in `upgraded`.
    private(set) var upgraded: [UInt8]?
    private(set) var error: String?
    /// After a gap or from the middle of a connection: looking for the next start line.
    private var searching: Bool
    /// Bytes dropped while looking for a start line.
    private(set) var skipped = 0

    /// `synchronized`: the stream starts on a message boundary (false for a capture that starts
    /// mid-connection).
    init(_ framing: Framing, synchronized: Bool = true) {
        self.framing = framing
        searching = !synchronized
    }

    /// Bytes went missing: drop the message in progress and look for the next start line.
    mutating func resynchronize() {
        buffer = []
        head = nil
        firstByteTime = nil
        searching = true
        error = nil
    }

    /// Where the next start line begins in the buffer: `HTTP/1.` for responses, a method
    /// token, a space and a target for requests; at the buffer's start or after a CRLF.
    private func nextStartLine() -> Int? {
        var i = 0
        while i < buffer.count {
            if i == 0 || (i >= 2 && buffer[i - 2] == 13 && buffer[i - 1] == 10), looksLikeStartLine(at: i) { return i }
            i += 1
        }
        return nil
    }

    private func looksLikeStartLine(at i: Int) -> Bool {
        let line = buffer[i..<min(buffer.count, i + 16)]
        if framing == .response { return line.starts(with: Array("HTTP/1.".utf8)) }
        let method = line.prefix { $0 >= 0x41 && $0 <= 0x5A }
        guard (3...7).contains(method.count), line.count > method.count + 1 else { return false }
        let after = line.dropFirst(method.count)
        return after.first == 0x20 && (after.dropFirst().first == 0x2F || after.dropFirst().starts(with: Array("http".utf8)))
    }

    /// Feeds bytes captured at `time`; returns the messages they completed.
    mutating func feed(_ bytes: [UInt8], time: UInt64) -> [HTTPMessage] {
        if upgraded != nil { upgraded! += bytes; return [] }
        guard error == nil else { return [] }
        if buffer.isEmpty, firstByteTime == nil { firstByteTime = time }
        buffer += bytes
        if searching {
            guard let start = nextStartLine() else {
                if buffer.count > 16 { skipped += buffer.count - 16; buffer.removeFirst(buffer.count - 16) }
                return []
            }
            skipped += start
            buffer.removeFirst(start)
            searching = false
            firstByteTime = time
        }
        var out: [HTTPMessage] = []
        while let message = nextMessage(time: time) {
            out.append(message)
            if upgraded != nil { break }
        }
        return out
    }

    /// The end of the stream: a response read until close is complete now.
    mutating func finish() -> HTTPMessage? {
        guard let head, framing == .response, error == nil, upgraded == nil, bodyLength(head.headers, startLine: head.startLine) == nil,
              !isChunked(head.headers) else { return nil }
        defer { self.head = nil; buffer = [] }
        return HTTPMessage(startLine: head.startLine, headers: head.headers, body: buffer, timeMicros: head.time)
    }

    /// What the stream left unfinished when it ended (after `finish`): a message head or body
    /// cut short; nil when it ended between messages.
    func unfinished() -> String? {
        guard error == nil, upgraded == nil, !searching else { return nil }
        let kind = framing == .request ? "request" : "response"
        guard let head else { return buffer.isEmpty ? nil : "a \(kind) head, after \(buffer.count) bytes" }
        if isChunked(head.headers) { return "a chunked \(kind) body, after \(buffer.count) bytes" }
        return bodyLength(head.headers, startLine: head.startLine).map { "a \(kind) body, \(buffer.count) of its \($0) bytes" }
    }

    private mutating func nextMessage(time: UInt64) -> HTTPMessage? {
        if head == nil {
            guard let end = Self.find([13, 10, 13, 10], in: buffer) else {
                if buffer.count > 1 << 20 { error = "a message head over 1 MiB" }
                return nil
            }
            let lines = String(decoding: buffer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            let start = lines[0].split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard start.count >= 2, (framing == .request) != lines[0].hasPrefix("HTTP/") else {
                error = "not an HTTP/1.1 \(framing == .request ? "request" : "response"): \(lines[0].prefix(60))"
                return nil
            }
            guard framing == .request || Self.isStatusCode(start[1]) else {
                error = "not an HTTP/1.1 response: status \"\(start[1].prefix(20))\" is not three digits"
                return nil
            }
            let headers = lines.dropFirst().compactMap { line -> HTTPHeader? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return HTTPHeader(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            if let length = headers.first(where: { $0.name.lowercased() == "content-length" }), Self.number(length.value, radix: 10) == nil {
                error = "invalid Content-Length \"\(length.value.prefix(20))\""
                return nil
            }
            head = (start, headers, firstByteTime ?? time)
            buffer.removeFirst(end + 4)
        }
        guard let current = head else { return nil }
        var body: [UInt8]
        if isUpgrade(current) {
            body = []
        } else if isChunked(current.headers) {
            switch Self.dechunk(buffer) {
            case .incomplete:
                return nil
            case .invalid(let reason):
                error = reason
                return nil
            case .complete(let decoded, let used):
                body = decoded
                buffer.removeFirst(used)
            }
        } else if let length = bodyLength(current.headers, startLine: current.startLine) {
            guard buffer.count >= length else { return nil }
            body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else {
            return nil  // read until the connection closes: `finish`
        }
        head = nil
        firstByteTime = buffer.isEmpty ? nil : time
        if framing == .request { pendingRequestMethods.append(current.startLine[0]) } else if !pendingRequestMethods.isEmpty, current.startLine[1] != "100" {
            pendingRequestMethods.removeFirst()
        }
        if isUpgrade(current) {
            upgraded = buffer
            buffer = []
        }
        return HTTPMessage(startLine: current.startLine, headers: current.headers, body: body, timeMicros: current.time)
    }

    /// A status code is three digits (RFC 9112 §4).
    private static func isStatusCode(_ text: String) -> Bool {
        text.utf8.count == 3 && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }

    /// A `101 Switching Protocols` response, or a request asking for a WebSocket (its bytes
    /// after the head are frames once the server agreed; the caller decides).
    private func isUpgrade(_ head: (startLine: [String], headers: [HTTPHeader], time: UInt64)) -> Bool {
        framing == .response && head.startLine[1] == "101"
    }

    private func isChunked(_ headers: [HTTPHeader]) -> Bool {
        headers.contains { $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased().contains("chunked") }
    }

    /// The body length framing gives, nil for "until close".
    private func bodyLength(_ headers: [HTTPHeader], startLine: [String]) -> Int? {
        if framing == .response {
            let status = Int(startLine[1]) ?? 0
            if (100..<200).contains(status) || status == 204 || status == 304 || pendingRequestMethods.first == "HEAD" { return 0 }
        }
        if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Self.number($0.value, radix: 10) }) { return length }
        return framing == .request ? 0 : nil
    }

    /// A chunked body at the start of a buffer.
    enum Chunked {
        case incomplete
        case complete(body: [UInt8], used: Int)
        case invalid(String)
    }

    /// Decodes a chunked body at the start of `bytes`.
    static func dechunk(_ bytes: [UInt8]) -> Chunked {
        var body: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = find([13, 10], in: bytes, from: i) else { return .incomplete }
            let sizeText = (String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces)
            guard let size = number(sizeText, radix: 16) else { return .invalid("invalid chunk size \"\(sizeText.prefix(20))\"") }
            i = lineEnd + 2
            if size == 0 {
                guard let trailerEnd = find([13, 10, 13, 10], in: bytes, from: i - 2) else { return .incomplete }
                return .complete(body: body, used: trailerEnd + 4)
            }
            guard bytes.count - i >= size + 2 else { return .incomplete }
            body += bytes[i..<i + size]
            i += size + 2
        }
    }

    /// A Content-Length or chunk size: digits of `radix` only (no sign), at most 15 of them.
    private static func number(_ text: String, radix: Int) -> Int? {
        guard text.utf8.count <= 15, let first = text.utf8.first, first != UInt8(ascii: "+"), first != UInt8(ascii: "-") else { return nil }
        return Int(text, radix: radix)
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int = 0) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var i = start
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0], bytes[i..<i + needle.count].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
