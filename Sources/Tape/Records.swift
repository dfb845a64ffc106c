import Foundation
import JSONKit

/// One HTTP header line. Tapes keep headers as an ordered list with duplicates.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name: name, value: value)
    }
}

extension Array where Element == HTTPHeader {
    /// Values of every header named `name` (ASCII case-insensitive), in order.
    public func values(for name: String) -> [String] {
        filter { asciiCaseInsensitiveEqual($0.name, name) }.map(\.value)
    }

    /// Value of the first header named `name` (ASCII case-insensitive).
    public func value(for name: String) -> String? {
        first { asciiCaseInsensitiveEqual($0.name, name) }?.value
    }
}

func asciiCaseInsensitiveEqual(_ a: String, _ b: String) -> Bool {
    a.utf8.elementsEqual(b.utf8) { x, y in
        (x >= 0x41 && x <= 0x5A ? x | 0x20 : x) == (y >= 0x41 && y <= 0x5A ? y | 0x20 : y)
    }
}

/// A message body or WebSocket payload: raw bytes. Stored in a tape as `{"text":…}` when
/// the bytes are printable UTF-8, otherwise as `{"base64":…}`; omitted when empty.
public struct Body: Sendable, Hashable, ExpressibleByStringLiteral {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8] = []) { self.bytes = bytes }
    public init(_ data: Data) { self.bytes = [UInt8](data) }
    /// The UTF-8 bytes of `text`.
    public init(text: String) { self.bytes = Array(text.utf8) }
    public init(stringLiteral value: String) { self.init(text: value) }

    public static let empty = Body()

    public var isEmpty: Bool { bytes.isEmpty }
    public var count: Int { bytes.count }
    public var data: Data { Data(bytes) }
    /// The bytes decoded as UTF-8, or nil when they are not valid UTF-8.
    public var text: String? { UTF8Bytes.isValid(bytes) ? String(decoding: bytes, as: UTF8.self) : nil }
    /// True when the encoder writes this body as `{"text":…}`: valid UTF-8 without ASCII
    /// control characters other than tab, line feed and carriage return.
    public var isStoredAsText: Bool { UTF8Bytes.isPrintable(bytes) }
}

/// Which way data flowed. `recv` = server → client, `send` = client → server.
public enum TapeDirection: String, Sendable, Hashable, Codable, CaseIterable {
    case recv
    case send
}

/// An HTTP request as sent by the client.
public struct HTTPRequest: Sendable, Hashable {
    public var method: String
    /// Full URL including scheme, host and query.
    public var url: String
    public var headers: [HTTPHeader]
    public var body: Body

    public init(method: String = "GET", url: String, headers: [HTTPHeader] = [], body: Body = .empty) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// An HTTP response (also the answer to a WebSocket handshake).
public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    public var reason: String?
    /// Headers exactly as received (including any `Content-Encoding`).
    public var headers: [HTTPHeader]
    /// Set when `body` is stored decoded: the wire body had this content coding (e.g. `gzip`).
    public var contentEncoding: String?
    public var body: Body

    public init(status: Int, reason: String? = nil, headers: [HTTPHeader] = [], contentEncoding: String? = nil, body: Body = .empty) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.contentEncoding = contentEncoding
        self.body = body
    }
}

/// Record kind `http`: one request/response exchange.
public struct HTTPExchange: Sendable, Hashable {
    /// Microseconds since the start of the capture when the request started.
    public var timeMicros: UInt64
    /// Connection id shared with other records on the same TCP connection, if known.
    public var conn: Int?
    /// Microseconds from the start of the request to the end of the response, if known.
    public var durationMicros: UInt64?
    public var request: HTTPRequest
    /// Nil when no response arrived (then `error` says why).
    public var response: HTTPResponse?
    /// Upstream failure text (connection refused, timeout, …).
    public var error: String?

    public init(timeMicros: UInt64, conn: Int? = nil, durationMicros: UInt64? = nil, request: HTTPRequest, response: HTTPResponse?, error: String? = nil) {
        self.timeMicros = timeMicros
        self.conn = conn
        self.durationMicros = durationMicros
        self.request = request
        self.response = response
        self.error = error
    }
}

/// Record kind `ws_open`: a WebSocket handshake (accepted with 101 or rejected).
public struct WebSocketOpen: Sendable, Hashable {
    public var timeMicros: UInt64
    /// Connection id; the connection's `ws_message`/`ws_close`/`gap` records carry it too.
    public var conn: Int
    /// Full handshake URL with query (`wss://…` or `ws://…`).
    public var url: String
    public var requestHeaders: [HTTPHeader]
    /// The handshake answer: 101, or a rejection such as 200 with `Handshake-Status`.
    public var response: HTTPResponse?
    /// Subprotocol agreed in the handshake (`Sec-WebSocket-Protocol`), if any.
    public var subprotocol: String?
    /// Failure text when the handshake got no response.
    public var error: String?

    public init(timeMicros: UInt64, conn: Int, url: String, requestHeaders: [HTTPHeader] = [], response: HTTPResponse?, subprotocol: String? = nil, error: String? = nil) {
        self.timeMicros = timeMicros
        self.conn = conn
        self.url = url
        self.requestHeaders = requestHeaders
        self.response = response
        self.subprotocol = subprotocol
        self.error = error
    }
}

/// A WebSocket opcode. Written as a name; reserved opcodes as integers.
/// Close frames are represented by `ws_close` records, not by a message opcode.
public enum WebSocketOpcode: Sendable, Hashable {
    case continuation
    case text
    case binary
    case ping
    case pong
    /// A reserved opcode (3–7, 11–15).
    case reserved(UInt8)

    /// The opcode number on the wire.
    public var rawValue: UInt8 {
        switch self {
        case .continuation: 0
        case .text: 1
        case .binary: 2
        case .ping: 9
        case .pong: 10
        case .reserved(let value): value
        }
    }

    /// The name used in tapes, or nil for reserved opcodes.
    public var name: String? {
        switch self {
        case .continuation: "continuation"
        case .text: "text"
        case .binary: "binary"
        case .ping: "ping"
        case .pong: "pong"
        case .reserved: nil
        }
    }

    /// Opcode for a wire number; nil for 8 (close) and values above 15.
    public init?(rawValue: UInt8) {
        switch rawValue {
        case 0: self = .continuation
        case 1: self = .text
        case 2: self = .binary
        case 9: self = .ping
        case 10: self = .pong
        case 3...7, 11...15: self = .reserved(rawValue)
        default: return nil
        }
    }

    /// Opcode for a tape name (`text`, `binary`, …).
    public init?(name: String) {
        switch name {
        case "continuation": self = .continuation
        case "text": self = .text
        case "binary": self = .binary
        case "ping": self = .ping
        case "pong": self = .pong
        default: return nil
        }
    }
}

/// Record kind `ws_message`: one WebSocket message as the application sees it.
public struct WebSocketMessage: Sendable, Hashable {
    public var timeMicros: UInt64
    public var conn: Int
    public var direction: TapeDirection
    public var opcode: WebSocketOpcode
    /// Unmasked, and inflated when it was permessage-deflate compressed.
    public var payload: Body
    /// Whether the message was permessage-deflate compressed on the wire.
    public var compressed: Bool

    public init(timeMicros: UInt64, conn: Int, direction: TapeDirection, opcode: WebSocketOpcode = .binary, payload: Body, compressed: Bool = false) {
        self.timeMicros = timeMicros
        self.conn = conn
        self.direction = direction
        self.opcode = opcode
        self.payload = payload
        self.compressed = compressed
    }
}

/// Who ended a WebSocket connection.
public enum CloseInitiator: String, Sendable, Hashable, Codable, CaseIterable {
    /// The client sent the first close frame.
    case client
    /// The server sent the first close frame.
    case server
    /// The connection ended without a close handshake (reset, EOF, end of capture).
    case abnormal
}

/// Record kind `ws_close`: end of a WebSocket connection.
public struct WebSocketClose: Sendable, Hashable {
    public var timeMicros: UInt64
    public var conn: Int
    /// Close code from the first close frame (e.g. 1000); nil when none was sent.
    public var code: Int?
    public var reason: String
    public var by: CloseInitiator

    public init(timeMicros: UInt64, conn: Int, code: Int? = nil, reason: String = "", by: CloseInitiator) {
        self.timeMicros = timeMicros
        self.conn = conn
        self.code = code
        self.reason = reason
        self.by = by
    }
}

/// Record kind `gap`: bytes a capture missed on one connection and direction.
public struct CaptureGap: Sendable, Hashable {
    public var timeMicros: UInt64
    public var conn: Int
    public var direction: TapeDirection
    /// Number of missing bytes.
    public var length: UInt64

    public init(timeMicros: UInt64, conn: Int, direction: TapeDirection, length: UInt64) {
        self.timeMicros = timeMicros
        self.conn = conn
        self.direction = direction
        self.length = length
    }
}

/// One record of a tape (every line after the header).
public enum TapeRecord: Sendable, Hashable {
    case http(HTTPExchange)
    case wsOpen(WebSocketOpen)
    case wsMessage(WebSocketMessage)
    case wsClose(WebSocketClose)
    case gap(CaptureGap)

    /// `t_us`: microseconds since the start of the capture.
    public var timeMicros: UInt64 {
        get {
            switch self {
            case .http(let r): r.timeMicros
            case .wsOpen(let r): r.timeMicros
            case .wsMessage(let r): r.timeMicros
            case .wsClose(let r): r.timeMicros
            case .gap(let r): r.timeMicros
            }
        }
        set {
            switch self {
            case .http(var r): r.timeMicros = newValue; self = .http(r)
            case .wsOpen(var r): r.timeMicros = newValue; self = .wsOpen(r)
            case .wsMessage(var r): r.timeMicros = newValue; self = .wsMessage(r)
            case .wsClose(var r): r.timeMicros = newValue; self = .wsClose(r)
            case .gap(var r): r.timeMicros = newValue; self = .gap(r)
            }
        }
    }

    /// The record's `kind` as written in the tape (`http`, `ws_open`, …).
    public var kind: String {
        switch self {
        case .http: "http"
        case .wsOpen: "ws_open"
        case .wsMessage: "ws_message"
        case .wsClose: "ws_close"
        case .gap: "gap"
        }
    }

    /// The connection id, when the record has one.
    public var conn: Int? {
        switch self {
        case .http(let r): r.conn
        case .wsOpen(let r): r.conn
        case .wsMessage(let r): r.conn
        case .wsClose(let r): r.conn
        case .gap(let r): r.conn
        }
    }
}
