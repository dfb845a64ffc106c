import Foundation
import JSONKit

/// Replaces the secrets in tape records by placeholders `<redacted:NAME:N>`, so that a tape can
/// be shared (rules and default list: docs/tape-format.md, "Redaction").
///
/// NAME is the secret's lower-case name; N numbers the distinct values seen under that NAME,
/// 1, 2, 3… in order of first appearance. Use one redactor per tape: the same secret then gets
/// the same placeholder throughout, and replay matching, which lets a recorded placeholder
/// stand for any value, still works.
///
/// Secrets are named the way the tape header's `redacted` list names them:
/// - a header name (`x-api-key`): the whole value of that header;
/// - `query:NAME`: the value of a `NAME=value` pair in a URL, a header value, a form or text
///   body or a JSON string;
/// - `cookie:NAME`: the value of a `NAME=value` pair in a header value (`Cookie`, `Set-Cookie`,
///   `X-Set-TT-Cookie`, …), a form or text body or a JSON string;
/// - `json:KEY`: every string and number under an object key `KEY`, at any depth.
///
/// A pair starts after `?`, `&`, `;`, `,` or `#` and its value runs to the next of them; values
/// are numbered percent-decoded. Names are compared ASCII case-insensitively. URLs, headers, text
/// bodies (JSON, form, other text) and `error` texts of `http` and `ws_open` records are
/// redacted; binary bodies and WebSocket payloads are protocol data and stay as they are. Values that already are
/// placeholders are kept, and a body without secrets keeps its bytes; a JSON body with secrets is
/// rewritten compactly, in its key order.
public struct Redactor: Sendable {
    /// Every secret redacted by default, in `redacted` form: the headers `x-api-key`,
    /// `authorization`, `proxy-authorization` and `x-ms-token`; the query parameters in
    /// `queryNames`; the cookies in `cookieNames`; and as JSON keys all of their names plus
    /// `session_id`, `api_key`, `x-api-key`, `authorization`, `cookie` and `cookies`.
    public static let defaultSecrets: Set<String> = {
        let headers = ["x-api-key", "authorization", "proxy-authorization", "x-ms-token"]
        let jsonKeys = queryNames + cookieNames + ["session_id", "api_key", "x-api-key", "authorization", "cookie", "cookies"]
        let names = headers + queryNames.map { "query:" + $0 } + cookieNames.map { "cookie:" + $0 } + jsonKeys.map { "json:" + $0 }
        return Set(names.map { $0.lowercased() })
    }()

    /// Query parameters that sign a request or carry a key, login or visitor token.
    private static let queryNames = ["apiKey", "msToken", "X-Bogus", "X-Gnarly", "signature", "_signature", "sessionid", "ttwid"]

    /// Cookies that carry a login (`sessionid`, `sid_tt`, …) or identify the visitor and device
    /// to TikTok (`ttwid`, `msToken`, `odin_tt`, …).
    private static let cookieNames = [
        "sessionid", "sessionid_ss", "sid_tt", "sid_guard", "sid_ucp_v1", "ssid_ucp_v1", "uid_tt", "uid_tt_ss",
        "multi_sids", "cmpl_token", "d_ticket", "odin_tt", "passport_csrf_token", "passport_csrf_token_default",
        "tt_csrf_token", "tt_chain_token", "ttwid", "msToken",
    ]

    /// The secrets this redactor replaces, lower-case, in `redacted` form.
    public let secrets: Set<String>
    /// The secrets replaced so far, in `redacted` form, in order of first replacement.
    public private(set) var redacted: [String] = []
    /// Placeholder numbers: NAME → value → N.
    private var numbers: [String: [String: Int]] = [:]

    /// A redactor for the default secrets less `keep`, plus `redact` (names as `isValidName`
    /// accepts them).
    public init(keep: [String] = [], redact: [String] = []) {
        secrets = Self.defaultSecrets.subtracting(keep.map { $0.lowercased() }).union(redact.map { $0.lowercased() })
    }

    /// Whether `name` names a secret: a header name, or `query:`, `cookie:` or `json:` followed by
    /// a name; neither may be empty or hold white space or any of `:=;,&?#<>`.
    public static func isValidName(_ name: String) -> Bool {
        let parts = name.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 1 || ["query", "cookie", "json"].contains(parts[0].lowercased()) else { return false }
        let bare = parts[parts.count - 1]
        return !bare.isEmpty && !bare.contains { $0.isWhitespace || ":=;,&?#<>".contains($0) }
    }

    /// `record` with its secrets replaced.
    public mutating func redact(_ record: TapeRecord) -> TapeRecord {
        switch record {
        case .http(var exchange):
            exchange.request.url = redactPairs(in: exchange.request.url, kinds: Self.urlPairs)
            let contentType = exchange.request.headers.value(for: "content-type")
            exchange.request.headers = redact(exchange.request.headers)
            exchange.request.body = redact(exchange.request.body, contentType: contentType)
            exchange.response = exchange.response.map { redact($0) }
            exchange.error = exchange.error.map { redactPairs(in: $0, kinds: Self.textPairs) }
            return .http(exchange)
        case .wsOpen(var open):
            open.url = redactPairs(in: open.url, kinds: Self.urlPairs)
            open.requestHeaders = redact(open.requestHeaders)
            open.response = open.response.map { redact($0) }
            open.error = open.error.map { redactPairs(in: $0, kinds: Self.textPairs) }
            return .wsOpen(open)
        case .wsMessage, .wsClose, .gap:
            return record
        }
    }

    private mutating func redact(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        let contentType = response.headers.value(for: "content-type")
        response.headers = redact(response.headers)
        response.body = redact(response.body, contentType: contentType)
        return response
    }

    private mutating func redact(_ headers: [HTTPHeader]) -> [HTTPHeader] {
        headers.map { header in
            let name = header.name.lowercased()
            let value = secrets.contains(name) ? replace(header.value, name: name, entry: name)
                : redactPairs(in: header.value, kinds: Self.headerPairs)
            return HTTPHeader(header.name, value)
        }
    }

    /// A text body with its secrets replaced: JSON (by content, whatever the media type) or
    /// other text (by media type, or printable UTF-8 when there is none). Anything else is
    /// returned as it is.
    private mutating func redact(_ body: Body, contentType: String?) -> Body {
        guard let text = body.text else { return body }
        if let json = try? JSONParser.parse(body.bytes) {
            let redacted = redact(json, under: nil)
            return redacted == json ? body : Body(CanonicalJSON.encode(redacted))
        }
        guard Self.isText(body, contentType: contentType) else { return body }
        let redacted = redactPairs(in: text, kinds: Self.textPairs)
        return redacted == text ? body : Body(text: redacted)
    }

    private static func isText(_ body: Body, contentType: String?) -> Bool {
        let mediaType = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        if mediaType.isEmpty { return body.isStoredAsText }
        return mediaType.hasPrefix("text/") || mediaType == "application/x-www-form-urlencoded"
            || ["json", "xml", "javascript"].contains { mediaType.contains($0) }
    }

    /// `value` with its secrets replaced; under a secret key (`key`, lower-case) every string and
    /// number is one.
    private mutating func redact(_ value: JSONValue, under key: String?) -> JSONValue {
        switch value {
        case .object(let pairs):
            return .object(pairs.map { name, item in
                let lower = name.lowercased()
                return (name, redact(item, under: secrets.contains("json:" + lower) ? lower : key))
            })
        case .array(let items):
            return .array(items.map { redact($0, under: key) })
        case .string(let text):
            guard let key else { return .string(redactPairs(in: text, kinds: Self.textPairs)) }
            return .string(replace(text, name: key, entry: "json:" + key))
        case .int, .double:
            guard let key else { return value }
            return .string(replace(CanonicalJSON.string(value), name: key, entry: "json:" + key))
        case .null, .bool, .encoded:
            return value
        }
    }

    /// `text` with the value of each secret `name=value` pair replaced. A pair runs from the
    /// start or a separator (`?`, `&`, `;`, `,`, `#`) to the next one; its name, trimmed of
    /// white space, is a secret when `kinds` (prefixes such as `query:`, tried in order) make it one.
    private mutating func redactPairs(in text: String, kinds: [String]) -> String {
        guard text.contains("=") else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var changed = false
        var start = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(where: Self.pairSeparators.contains) ?? bytes.count
            var pair = bytes[start..<end]
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                let name = String(decoding: pair[..<equals], as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
                if let kind = kinds.first(where: { secrets.contains($0 + name) }) {
                    let value = String(decoding: pair[(equals + 1)...], as: UTF8.self)
                    let replaced = replace(value, name: name, entry: kind + name, identity: value.removingPercentEncoding ?? value)
                    if replaced != value {
                        pair = pair[...equals] + replaced.utf8
                        changed = true
                    }
                }
            }
            out += pair
            if end < bytes.count { out.append(bytes[end]) }
            start = end + 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    private static let pairSeparators = Set("?&;,#".utf8)
    /// Which secrets pairs name, by where they are: URLs hold query parameters, header values
    /// cookies (and URLs, as in `Referer`), bodies and JSON strings either.
    private static let urlPairs = ["query:"], headerPairs = ["cookie:", "query:"], textPairs = ["query:", "cookie:"]

    /// The placeholder for secret `value` under `name`, numbered by `identity` (the value unless
    /// given), noting `entry` as redacted. Empty values and placeholders are returned as they are.
    private mutating func replace(_ value: String, name: String, entry: String, identity: String? = nil) -> String {
        if value.isEmpty || Self.isPlaceholder(value) { return value }
        if !redacted.contains(entry) { redacted.append(entry) }
        let key = identity ?? value
        let known = numbers[name, default: [:]]
        let number = known[key] ?? known.count + 1
        numbers[name, default: [:]][key] = number
        return "<redacted:\(name):\(number)>"
    }
}

extension Redactor {
    /// `<redacted:NAME:N>`.
    private static var placeholderPattern: Regex<Substring> { /<redacted:[^:>\s]+:[0-9]+>/ }

    /// Whether `text` is exactly one placeholder `<redacted:NAME:N>`.
    public static func isPlaceholder(_ text: String) -> Bool {
        text.wholeMatch(of: placeholderPattern) != nil
    }

    /// Whether `text` equals `pattern` once every placeholder in `pattern` stands for any run of
    /// characters (a recorded value matched against a received one).
    public static func matches(_ text: String, pattern: String) -> Bool {
        let literals = pattern.split(separator: placeholderPattern, omittingEmptySubsequences: false)
        guard literals.count > 1 else { return text == pattern }
        guard text.hasPrefix(literals[0]) else { return false }
        var rest = text.dropFirst(literals[0].count)
        for literal in literals.dropFirst().dropLast() where !literal.isEmpty {
            guard let found = rest.firstRange(of: literal) else { return false }
            rest = rest[found.upperBound...]
        }
        return rest.hasSuffix(literals[literals.count - 1])
    }
}
