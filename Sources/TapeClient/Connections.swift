#if canImport(Glibc)
import Glibc
#endif
import MockServers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Tape
import WireKit

/// How a client checks the TLS servers it talks to (https and wss URLs).
public struct TLSOptions: Sendable, Hashable {
    /// Trust the certificates in this PEM file instead of the system's CA store.
    public var caFile: String?
    /// Accept any certificate (test upstreams only).
    public var insecure: Bool
    /// Append each connection's TLS secrets to this file in the NSS key log format that
    /// SSLKEYLOGFILE names, so that a capture of the traffic can be decrypted
    /// (`livetape import --keylog`).
    public var keyLogFile: String?
    /// Offer only TLS 1.2 with these cipher suites (OpenSSL names, `:`-separated, e.g.
    /// `ECDHE-RSA-CHACHA20-POLY1305`): to try a server or a capture on TLS 1.2.
    public var tls12CipherSuites: String?

    public init(caFile: String? = nil, insecure: Bool = false, keyLogFile: String? = nil, tls12CipherSuites: String? = nil) {
        self.caFile = caFile
        self.insecure = insecure
        self.keyLogFile = keyLogFile
        self.tls12CipherSuites = tls12CipherSuites
    }

    /// Adds a TLS client handler for `url` (SNI = its host name) when it is https or wss.
    func secure(_ channel: any Channel, for url: ClientURL) throws {
        guard url.isSecure else { return }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.trustRoots = .file(caFile) }
        if insecure { configuration.certificateVerification = .none }
        if let keyLogFile {
            configuration.keyLogCallback = { line in
                let fd = open(keyLogFile, O_WRONLY | O_APPEND | O_CREAT, 0o600)
                guard fd >= 0 else { return }
                let bytes = Array(line.readableBytesView) + [0x0A]
                _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
            }
        }
        if let tls12CipherSuites {
            configuration.maximumTLSVersion = .tlsv12
            configuration.cipherSuites = tls12CipherSuites
        }
        let isAddress = (try? SocketAddress(ipAddress: url.host, port: 0)) != nil
        let handler = try NIOSSLClientHandler(context: NIOSSLContext(configuration: configuration), serverHostname: isAddress ? nil : url.host)
        try channel.pipeline.syncOperations.addHandler(handler)
    }
}

/// HTTP/1.1 client connections.
public enum HTTPClientConnection {
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// Sends the request on its own connection and reads the whole response (the body as
    /// received, not decoded).
    public static func send(_ method: String, to url: ClientURL, headers: [HTTPHeader], body: [UInt8], maxBodyBytes: Int,
                            tls: TLSOptions = TLSOptions()) async throws -> HTTPResponse {
        try await withConnection(to: url, tls: tls) { connection in
            try await connection.send(method, target: url.target, headers: headers, body: body, maxBodyBytes: maxBodyBytes, keepAlive: false)
        }
    }

    /// Opens a connection to `url`'s host, hands it to `body` for any number of requests, one
    /// at a time, and closes it.
    public static func withConnection<Result: Sendable>(to url: ClientURL, tls: TLSOptions = TLSOptions(),
                                                        _ body: (inout KeepAliveHTTPConnection) async throws -> Result) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try tls.secure(channel, for: url)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Channel(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = KeepAliveHTTPConnection(hostHeader: url.hostHeader, responses: inbound.makeAsyncIterator(), requests: outbound)
            return try await body(&connection)
        }
    }
}

/// An open HTTP/1.1 client connection (see `HTTPClientConnection.withConnection`).
public struct KeepAliveHTTPConnection {
    let hostHeader: String
    var responses: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    let requests: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    /// Sends a request for `target` (path and query) and reads its whole response (the body as
    /// received, not decoded); `keepAlive: false` asks the server to close the connection after it.
    public mutating func send(_ method: String, target: String, headers: [HTTPHeader], body: [UInt8], maxBodyBytes: Int,
                              keepAlive: Bool = true) async throws -> HTTPResponse {
        var requestHeaders = HTTPHeaders(headers.map { ($0.name, $0.value) })
        requestHeaders.replaceOrAdd(name: "Host", value: hostHeader)
        requestHeaders.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        if !body.isEmpty || method != "GET" { requestHeaders.replaceOrAdd(name: "Content-Length", value: String(body.count)) }
        // Written in one go: a server that answers on the head alone (a refusal) may close the
        // connection before a separately written end reaches it.
        var parts: [HTTPClientRequestPart] = [.head(HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target, headers: requestHeaders))]
        if !body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        parts.append(.end(nil))
        try await requests.write(contentsOf: parts)
        var head: HTTPResponseHead?
        var received: [UInt8] = []
        while let part = try await responses.next() {
            switch part {
            case .head(let h): head = h
            case .body(let chunk):
                guard received.count + chunk.readableBytes <= maxBodyBytes else { throw ClientError.bodyTooLarge(maxBodyBytes) }
                received += chunk.readableBytesView
            case .end:
                guard let head else { throw ClientError.noResponse }
                return HTTPResponse(head, body: received)
            }
        }
        throw ClientError.noResponse
    }
}

/// What a WebSocket handshake gave.
public enum WebSocketHandshake: Sendable {
    case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, HTTPResponse)
    /// The server answered without upgrading (TikTok's refusals are HTTP 200 with
    /// `Handshake-Status`).
    case refused(HTTPResponse)
}

/// A client WebSocket connection.
public enum WebSocketClientConnection {
    typealias HTTPChannel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    private enum Negotiated: Sendable {
        case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, HTTPResponseHead)
        case refused(HTTPChannel)
    }

    /// Performs the handshake; frames arrive aggregated (fragments joined) and unmasked. When
    /// `headers` offer permessage-deflate and the server accepts it, messages are compressed on
    /// the way out and inflated on the way in (`PerMessageDeflateHandler`); a server answer
    /// that fits no offer fails the handshake.
    public static func connect(to url: ClientURL, headers: [HTTPHeader], maxFrameBytes: Int, tls: TLSOptions = TLSOptions()) async throws -> WebSocketHandshake {
        let offers = PerMessageDeflate.offers(in: headers.filter { $0.name.lowercased() == "sec-websocket-extensions" }.map(\.value))
        var requestHeaders = HTTPHeaders(headers.map { ($0.name, $0.value) })
        requestHeaders.replaceOrAdd(name: "Host", value: url.hostHeader)
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target, headers: requestHeaders)
        let negotiation: EventLoopFuture<Negotiated> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try tls.secure(channel, for: url)
                    let upgrader = NIOTypedWebSocketClientUpgrader<Negotiated>(
                        maxFrameSize: maxFrameBytes,
                        enableAutomaticErrorHandling: false,  // ProtocolErrorCloser answers errors
                        upgradePipelineHandler: { channel, response in
                            channel.eventLoop.makeCompletedFuture {
                                if let deflate = try PerMessageDeflate.accepted(inResponse: response.headers["Sec-WebSocket-Extensions"], offers: offers) {
                                    try channel.pipeline.syncOperations.addHandler(
                                        PerMessageDeflateHandler(deflate, role: .client, maxMessageBytes: maxFrameBytes))
                                }
                                try channel.pipeline.syncOperations.addHandlers(
                                    NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 16,
                                                                maxAccumulatedFrameSize: maxFrameBytes),
                                    ProtocolErrorCloser(role: .client))
                                return .upgraded(try NIOAsyncChannel(wrappingChannelSynchronously: channel), response)
                            }
                        })
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Negotiated>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture { .refused(try HTTPChannel(wrappingChannelSynchronously: channel)) }
                        })
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    // Frames the server sends right behind its 101 arrive with it: keep them.
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                }
            }
        switch try await negotiation.get() {
        case .upgraded(let channel, let response):
            return .upgraded(channel, HTTPResponse(response, body: []))
        case .refused(let channel):
            return .refused(try await channel.executeThenClose { inbound, _ in
                var head: HTTPResponseHead?
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let h): head = h
                    case .body(let chunk): body += chunk.readableBytesView.prefix(1 << 20)
                    case .end: break
                    }
                    if case .end = part { break }
                }
                guard let head else { throw ClientError.noResponse }
                return HTTPResponse(head, body: body)
            })
        }
    }
}

/// Why the client could not go on.
public enum ClientError: Error, CustomStringConvertible, Sendable {
    case noResponse
    case bodyTooLarge(Int)
    case badURL(String)

    public var description: String {
        switch self {
        case .noResponse: "the server closed the connection without a complete response"
        case .bodyTooLarge(let limit): "response body over \(limit) bytes"
        case .badURL(let url): "cannot connect to \(url): not an http(s):// or ws(s):// URL"
        }
    }
}

extension HTTPResponse {
    init(_ head: HTTPResponseHead, body: [UInt8]) {
        self.init(status: Int(head.status.code), reason: head.status.reasonPhrase,
                  headers: head.headers.map { HTTPHeader($0.name, $0.value) }, body: Body(body))
    }
}
