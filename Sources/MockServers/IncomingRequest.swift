import Tape

/// One `name=value` pair of a URL query, percent-decoded (`+` decodes to a space).
public struct QueryItem: Sendable, Hashable {
    public var name: String
    /// The decoded value; empty for `name=` and for a bare `name`.
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name: name, value: value)
    }
}

/// An HTTP request as a mock server receives it: no scheme or host, just method, path,
/// the query items in order (duplicates kept), headers and body.
public struct IncomingRequest: Sendable, Hashable {
    public var method: String
    /// The percent-decoded path, e.g. `/webcast/fetch`.
    public var path: String
    /// Query items in wire order; a repeated key appears once per occurrence.
    public var query: [QueryItem]
    public var headers: [HTTPHeader]
    public var body: Body

    public init(method: String, path: String, query: [QueryItem] = [], headers: [HTTPHeader] = [], body: Body = .empty) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// A request from its request target as sent on the request line: `/path?query`, or an
    /// absolute URL (`https://host/path?query`, whose scheme and host are dropped).
    public init(method: String, target: String, headers: [HTTPHeader] = [], body: Body = .empty) {
        let (path, query) = RequestTarget.split(target)
        self.init(method: method, path: path, query: query, headers: headers, body: body)
    }

    /// The request a tape recorded, seen the way a mock server would receive it.
    public init(_ recorded: HTTPRequest) {
        self.init(method: recorded.method, target: recorded.url, headers: recorded.headers, body: recorded.body)
    }

    /// Values of every query item named `name` (exact, case-sensitive), in order.
    public func queryValues(_ name: String) -> [String] {
        query.filter { $0.name == name }.map(\.value)
    }
}

/// Splitting and decoding of request targets and URLs.
enum RequestTarget {
    /// Path and query items of `target` (an origin-form target or an absolute URL).
    /// A fragment is dropped; an empty path becomes `/`.
    static func split(_ target: String) -> (path: String, query: [QueryItem]) {
        var bytes = Array(target.utf8)
        if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) { bytes.removeSubrange(hash...) }
        // Absolute URL: drop `scheme://authority`.
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
           bytes[..<colon].allSatisfy(isSchemeByte),
           bytes[colon...].starts(with: Array("://".utf8)) {
            let authorityStart = colon + 3
            let end = bytes[authorityStart...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? bytes.endIndex
            bytes = Array(bytes[end...])
        }
        let questionMark = bytes.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = bytes[..<(questionMark ?? bytes.endIndex)]
        var path = percentDecode(rawPath, plusIsSpace: false)
        if path.isEmpty { path = "/" }
        guard let questionMark else { return (path, []) }
        var items: [QueryItem] = []
        for part in bytes[(questionMark + 1)...].split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = part.firstIndex(of: UInt8(ascii: "=")) {
                items.append(QueryItem(name: percentDecode(part[..<equals], plusIsSpace: true),
                                       value: percentDecode(part[(equals + 1)...], plusIsSpace: true)))
            } else {
                items.append(QueryItem(name: percentDecode(part, plusIsSpace: true), value: ""))
            }
        }
        return (path, items)
    }

    private static func isSchemeByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    /// Percent-decodes `bytes`; malformed escapes stay as they are, invalid UTF-8 is repaired.
    static func percentDecode(_ bytes: ArraySlice<UInt8>, plusIsSpace: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "%"), i + 2 < bytes.endIndex,
               let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
                continue
            }
            out.append(plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
}
