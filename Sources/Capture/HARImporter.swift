import Foundation
import JSONKit
import Tape

/// The records of a HAR file, and what became of its entries.
public struct HARImport: Sendable {
    /// The records in time order; `t_us` counts from the earliest timestamp imported.
    public var records: [TapeRecord] = []
    /// The earliest timestamp imported; nil when nothing was.
    public var start: Date?
    /// Number of entries in `log.entries`.
    public var entries = 0
    /// Entries left out because they are not for the signing service (`onlySigning`).
    public var filtered = 0
    /// Entries that could not be imported, each with where and why; every other entry was.
    public var problems: [HARProblem] = []
    /// Responses whose content the HAR does not hold (exported without content); their bodies
    /// are imported empty.
    public var responsesWithoutContent = 0
}

/// Why a HAR entry could not be imported, and where: `entries[17].request.url: missing`.
public struct HARProblem: Error, Sendable, CustomStringConvertible {
    /// Path of the offending value, from `entries[N]`.
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

/// Why a file could not be read as a HAR at all.
public enum HARError: Error, Sendable, CustomStringConvertible {
    /// Not JSON; the error names the byte offset.
    case malformedJSON(JSONParseError)
    /// JSON without a `log.entries` array.
    case notHAR

    public var description: String {
        switch self {
        case .malformedJSON(let error): "not valid JSON: \(error)"
        case .notHAR: "not a HAR file: no log.entries array"
        }
    }
}

/// Reads a browser's HAR export (HTTP Archive 1.2 with Chrome's WebSocket extension) into tape
/// records: an `http` record for every HTTP entry; `ws_open`, `ws_message`s and `ws_close` for
/// every WebSocket entry. Mapping rules: docs/import.md.
public enum HARImporter {
    /// URL paths of the signing service's endpoints: the HTTP entries `onlySigning` keeps.
    public static let signingPaths: Set<String> = [
        "/webcast/fetch", "/webcast/sign_url", "/webcast/room_id", "/webcast/rate_limits", "/api/eulerstream", "/webcast/im/fetch",
    ]

    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Reads a whole HAR file. An entry that cannot be imported is left out and named in
    /// `problems`; only a file that is not JSON, or not a HAR, fails as a whole.
    /// - Parameter onlySigning: keep only the HTTP entries for `signingPaths` (and every WebSocket).
    public static func read(_ bytes: [UInt8], onlySigning: Bool = false) throws(HARError) -> HARImport {
        let skipped = bytes.starts(with: byteOrderMark) ? byteOrderMark.count : 0
        let json: JSONValue
        do {
            json = try JSONParser.parse(skipped == 0 ? bytes : Array(bytes.dropFirst(skipped)))
        } catch {
            throw .malformedJSON(JSONParseError(offset: error.offset + skipped, message: error.message))
        }
        guard let entries = json["log"]?["entries"]?.arrayValue else { throw .notHAR }

        var result = HARImport(entries: entries.count)
        var timed: [Timed] = []
        for (index, entry) in entries.enumerated() {
            do throws(HARProblem) {
                if let records = try Self.records(of: Node(value: entry, path: "entries[\(index)]"), conn: index + 1, onlySigning: onlySigning) {
                    timed += records
                    if let content = entry["response"]?["content"], content["text"] ?? .null == .null, content["size"]?.intValue ?? 0 > 0 {
                        result.responsesWithoutContent += 1
                    }
                } else {
                    result.filtered += 1
                }
            } catch {
                result.problems.append(error)
            }
        }
        guard let start = timed.map(\.micros).min() else { return result }
        result.start = Date(timeIntervalSince1970: Double(start) / 1e6)
        result.records = timed.enumerated()
            .sorted { ($0.element.micros, $0.offset) < ($1.element.micros, $1.offset) }
            .map { _, item in
                var record = item.record
                record.timeMicros = UInt64(item.micros - start)
                return record
            }
        return result
    }

    /// A record and its time, microseconds since the epoch.
    private typealias Timed = (micros: Int64, record: TapeRecord)

    /// The records of one entry; nil when `onlySigning` leaves it out.
    private static func records(of entry: Node, conn: Int, onlySigning: Bool) throws(HARProblem) -> [Timed]? {
        let request = try entry.required("request"), response = try entry.required("response")
        let urlNode = try request.required("url")
        let url = try urlNode.string()
        let statusNode = try response.required("status")
        let status = try statusNode.integer()
        guard (0...999).contains(status) else { throw statusNode.problem("\(status) is not an HTTP status (0 to 999)") }
        let isWebSocket = entry["_resourceType"]?.value.stringValue == "websocket" || status == 101 || entry["_webSocketMessages"] != nil
        if onlySigning && !isWebSocket && !isSigning(url) { return nil }

        let start = try entry.required("startedDateTime").date()
        let headers = try request["headers"]?.headers() ?? []
        let answer = try status == 0 ? nil : Self.response(response, status: status)
        let error = try status == 0 ? response["_error"]?.string() ?? "no response" : nil
        let duration = try entry["time"]?.microseconds(per: 1e3)
        guard isWebSocket else {
            let body = try request["postData"].map { node throws(HARProblem) in try Self.body(of: node) } ?? .empty
            let exchange = HTTPExchange(
                timeMicros: 0, conn: conn, durationMicros: duration.flatMap { $0 >= 0 ? UInt64($0) : nil },
                request: HTTPRequest(method: try request.required("method").string(), url: url, headers: headers, body: body),
                response: answer, error: error)
            return [(start, .http(exchange))]
        }

        guard let webSocketURL = webSocketURL(url) else { throw urlNode.problem("not a ws, wss, http or https URL") }
        let open = WebSocketOpen(timeMicros: 0, conn: conn, url: webSocketURL, requestHeaders: headers, response: answer,
                                 subprotocol: answer?.headers.value(for: "sec-websocket-protocol"), error: error)
        var records: [Timed] = [(start, .wsOpen(open))]
        // Times never go back within a connection: a message stamped before the handshake is moved to it.
        var last = start
        var close: Timed?
        for message in try entry["_webSocketMessages"]?.array() ?? [] {
            let typeNode = try message.required("type")
            let type = try typeNode.string()
            last = max(last, try message.required("time").microseconds(per: 1e6))
            let data = try message["data"]?.string() ?? ""
            if type == "error" {
                close = close ?? (last, .wsClose(WebSocketClose(timeMicros: 0, conn: conn, reason: data, by: .abnormal)))
                continue
            }
            guard let direction = ["send": TapeDirection.send, "receive": .recv][type] else {
                throw typeNode.problem("expected send, receive or error, found \"\(type)\"")
            }
            let opcodeNode = try message.required("opcode")
            let opcode = try opcodeNode.integer()
            let payload = opcode == 1 ? Body(text: data) : try decodeBase64(data, at: message["data"] ?? message)
            if opcode == 8 {
                let bytes = payload.bytes
                let frame = WebSocketClose(timeMicros: 0, conn: conn, code: bytes.count >= 2 ? Int(bytes[0]) << 8 | Int(bytes[1]) : nil,
                                           reason: String(decoding: bytes.dropFirst(2), as: UTF8.self), by: direction == .send ? .client : .server)
                close = close ?? (last, .wsClose(frame))
            } else if let code = UInt8(exactly: opcode), let kind = WebSocketOpcode(rawValue: code) {
                records.append((last, .wsMessage(WebSocketMessage(timeMicros: 0, conn: conn, direction: direction, opcode: kind, payload: payload))))
            } else {
                throw opcodeNode.problem("\(opcode) is not a WebSocket opcode")
            }
        }
        let end = close?.micros ?? start + (duration ?? 0)
        records.append((max(last, end), close?.record ?? .wsClose(WebSocketClose(timeMicros: 0, conn: conn, by: .abnormal))))
        return records
    }

    private static func response(_ node: Node, status: Int) throws(HARProblem) -> HTTPResponse {
        let headers = try node["headers"]?.headers() ?? []
        // Browsers save the content decoded.
        let coding = headers.value(for: "content-encoding")?.trimmingCharacters(in: .whitespaces).lowercased()
        let reason = try node["statusText"]?.string() ?? ""
        return HTTPResponse(status: status, reason: reason.isEmpty ? nil : reason, headers: headers,
                            contentEncoding: coding == "identity" || coding?.isEmpty == true ? nil : coding,
                            body: try node["content"].map { content throws(HARProblem) in try body(of: content) } ?? .empty)
    }

    /// The bytes of a `postData` or `content`: its `text`, base64 when `encoding` says so.
    private static func body(of node: Node) throws(HARProblem) -> Body {
        guard let text = node["text"] else { return .empty }
        guard let encoding = try node["encoding"]?.string() else { return Body(text: try text.string()) }
        guard encoding == "base64" else { throw HARProblem(path: node.path + ".encoding", message: "unknown encoding \"\(encoding)\"") }
        return try decodeBase64(try text.string(), at: text)
    }

    private static func decodeBase64(_ text: String, at node: Node) throws(HARProblem) -> Body {
        guard let data = Data(base64Encoded: text) else { throw node.problem("invalid base64") }
        return Body(data)
    }

    /// Whether `url` is one of the signing service's endpoints (`signingPaths`).
    public static func isSigning(_ url: String) -> Bool {
        signingPaths.contains(path(of: url))
    }

    /// The path of `url` without a trailing slash (`/webcast/im/fetch/` → `/webcast/im/fetch`).
    private static func path(of url: String) -> String {
        let path = URLComponents(string: url)?.path ?? ""
        return path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// `url` with a ws or wss scheme (a HAR may hold the handshake's http or https URL).
    private static func webSocketURL(_ url: String) -> String? {
        switch url.prefix(while: { $0 != ":" }).lowercased() {
        case "ws", "wss": url
        case "http", "https": "ws" + url.dropFirst(4)
        default: nil
        }
    }
}

/// A value in a HAR file and its path (`entries[3].request.url`), for problems that say where.
private struct Node {
    let value: JSONValue
    let path: String

    /// The member `key`; nil when it is absent or null.
    subscript(key: String) -> Node? {
        guard let member = value[key], member != .null else { return nil }
        return Node(value: member, path: path + "." + key)
    }

    func required(_ key: String) throws(HARProblem) -> Node {
        guard let node = self[key] else { throw HARProblem(path: path + "." + key, message: "missing") }
        return node
    }

    func problem(_ message: String) -> HARProblem { HARProblem(path: path, message: message) }

    func string() throws(HARProblem) -> String {
        guard let text = value.stringValue else { throw problem("expected a string, found \(value.typeName)") }
        return text
    }

    func number() throws(HARProblem) -> Double {
        switch value {
        case .int(let n): return Double(n)
        case .double(let d): return d
        default: throw problem("expected a number, found \(value.typeName)")
        }
    }

    /// A number of units (`unitMicroseconds` each: 1e6 for seconds, 1e3 for milliseconds) in
    /// microseconds, when a tape can hold it (up to `TapeFormat.maxExactInteger` either way).
    func microseconds(per unitMicroseconds: Double) throws(HARProblem) -> Int64 {
        let units = try number()
        let micros = (units * unitMicroseconds).rounded()
        guard micros.magnitude <= Double(TapeFormat.maxExactInteger) else { throw problem("\(units) is out of range for a time") }
        return Int64(micros)
    }

    func integer() throws(HARProblem) -> Int {
        guard case .int(let n) = value, let int = Int(exactly: n) else { throw problem("expected an integer, found \(value.typeName)") }
        return int
    }

    func array() throws(HARProblem) -> [Node] {
        guard let items = value.arrayValue else { throw problem("expected an array, found \(value.typeName)") }
        return items.enumerated().map { Node(value: $1, path: "\(path)[\($0)]") }
    }

    /// HAR headers, `[{"name": …, "value": …}]`, in order.
    func headers() throws(HARProblem) -> [HTTPHeader] {
        try array().map { header throws(HARProblem) in HTTPHeader(try header.required("name").string(), try header.required("value").string()) }
    }

    /// An ISO 8601 date-time (`2026-11-29T20:00:00.123Z`, `2026-11-29T21:00:00.123+01:00`) in
    /// microseconds since the epoch.
    func date() throws(HARProblem) -> Int64 {
        let text = try string()
        guard let match = text.wholeMatch(of: /([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(?:Z|([+-])([0-9]{2}):?([0-9]{2}))/) else {
            throw problem("expected an ISO 8601 date-time such as 2026-11-29T20:00:00.123Z, found \"\(text)\"")
        }
        var parts = tm()
        parts.tm_year = Int32(match.1)! - 1900
        parts.tm_mon = Int32(match.2)! - 1
        parts.tm_mday = Int32(match.3)!
        parts.tm_hour = Int32(match.4)!
        parts.tm_min = Int32(match.5)!
        parts.tm_sec = Int32(match.6)!
        let fraction = Int64((String(match.7 ?? "") + "000000").prefix(6))!
        let offset = match.8.map { sign in (sign == "-" ? -1 : 1) * (Int64(match.9!)! * 3600 + Int64(match.10!)! * 60) } ?? 0
        return (Int64(timegm(&parts)) - offset) * 1_000_000 + fraction
    }
}
