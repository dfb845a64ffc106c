/// The parts of an `http(s)://` or `ws(s)://` URL a client needs.
public struct ClientURL: Sendable, Hashable {
    public var scheme: String
    public var host: String
    public var port: Int
    /// Path and query as sent on the request line, e.g. `/webcast/fetch?room_id=1`.
    public var target: String

    /// Parses `scheme://host[:port][/path][?query]` for http, https, ws and wss; `[v6]` hosts
    /// are accepted. Nil for anything else.
    public init?(_ text: String) {
        guard let schemeEnd = text.range(of: "://") else { return nil }
        scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard ["http", "https", "ws", "wss"].contains(scheme) else { return nil }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let suffix = String(rest[authorityEnd...])
        target = suffix.hasPrefix("/") ? suffix : "/" + suffix
        var hostPart = Substring(authority)
        var portPart: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { return nil }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty { return nil }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portPart = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else { return nil }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port) else { return nil }
            self.port = port
        } else {
            port = scheme == "https" || scheme == "wss" ? 443 : 80
        }
    }

    /// True for https and wss.
    public var isSecure: Bool { scheme == "https" || scheme == "wss" }

    /// `host:port` for a `Host` header.
    public var hostHeader: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

    /// The target's query string without `?`; empty when there is none.
    public var query: Substring {
        guard let mark = target.firstIndex(of: "?") else { return "" }
        return target[target.index(after: mark)...]
    }

    /// The target's path.
    public var path: Substring { target.prefix { $0 != "?" } }

    /// The path and query of any URL, absolute or origin-form, as sent on a request line.
    public static func target(of url: String) -> String {
        if let parsed = ClientURL(url) { return parsed.target }
        guard let schemeEnd = url.range(of: "://") else { return url.hasPrefix("/") ? url : "/" + url }
        let rest = url[schemeEnd.upperBound...]
        let start = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let target = String(rest[start...])
        return target.hasPrefix("/") ? target : "/" + target
    }
}
