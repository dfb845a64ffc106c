import NIOCore
import NIOHTTP1
import Tape

extension IncomingRequest {
    /// The request a NIO HTTP server received.
    init(head: HTTPRequestHead, body: ByteBuffer?) {
        self.init(method: head.method.rawValue, target: head.uri,
                  headers: head.headers.map { HTTPHeader($0.name, $0.value) },
                  body: Body(body.map { Array($0.readableBytesView) } ?? []))
    }
}

extension HTTPHeaders {
    init(_ headers: [HTTPHeader]) {
        self.init(headers.map { ($0.name, $0.value) })
    }
}

extension MockResponse {
    /// Head and body ready to write, with `Content-Length` and the connection's keep-alive.
    public func parts(keepAlive: Bool) -> (HTTPResponseHead, ByteBuffer) {
        var headers = HTTPHeaders(self.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        return (HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers),
                ByteBuffer(bytes: body))
    }
}

/// Writes the last response of a connection and returns once it is on the wire, so that closing
/// the connection next cannot cut it off (a channel's close drops writes still pending).
public func writeLast(_ response: MockResponse, on channel: any Channel) async throws {
    let (head, body) = response.parts(keepAlive: false)
    channel.write(HTTPServerResponsePart.head(head), promise: nil)
    if body.readableBytes > 0 { channel.write(HTTPServerResponsePart.body(.byteBuffer(body)), promise: nil) }
    try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
}

/// Writes `response` on an HTTP server channel's outbound side, the connection kept open.
public func write(_ response: MockResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
    let (head, body) = response.parts(keepAlive: true)
    try await outbound.write(.head(head))
    if body.readableBytes > 0 { try await outbound.write(.body(.byteBuffer(body))) }
    try await outbound.write(.end(nil))
}
