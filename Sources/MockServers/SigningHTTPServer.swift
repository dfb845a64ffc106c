import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Serves `SigningService` over HTTP/1.1 (keep-alive, one request at a time per connection).
enum SigningHTTPServer {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    static func bind(host: String, port: Int, group: any EventLoopGroup, tls: NIOSSLContext?,
                     idleTimeout: Duration) async throws -> NIOAsyncChannel<Connection, Never> {
        try await ServerBootstrap.listener(group: group)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try tls.secure(channel)
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: TimeAmount(idleTimeout)))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(IdleConnectionCloser())
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Answers every request on `connection` until the client closes it. Malformed HTTP gets
    /// 400 (from NIO's error handler), a body over `maxBodyBytes` 413; both close the connection.
    static func serve(_ connection: Connection, service: SigningService, maxBodyBytes: Int, log: @escaping @Sendable (String) -> Void) async {
        let peer = connection.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: ByteBuffer?
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let h):
                        head = h
                        body = nil
                        tooLarge = false
                    case .body(var chunk):
                        if tooLarge { continue }
                        if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodyBytes {
                            tooLarge = true
                            body = nil
                        } else if body == nil {
                            body = chunk
                        } else {
                            body!.writeBuffer(&chunk)
                        }
                    case .end:
                        guard let request = head else { continue }
                        head = nil
                        if tooLarge {
                            log("signing \(peer): \(request.method) \(request.uri): 413, body over \(maxBodyBytes) bytes")
                            try await writeLast(.json(413, ["message": .string("request body over \(maxBodyBytes) bytes")]), on: connection.channel)
                            return
                        }
                        let answer = service.respond(to: IncomingRequest(head: request, body: body))
                        if let line = answer.log { log("signing \(peer): \(line)") }
                        if answer.response.delayMilliseconds > 0 {
                            try await Task.sleep(for: .milliseconds(answer.response.delayMilliseconds))
                        }
                        guard request.isKeepAlive else {
                            try await writeLast(answer.response, on: connection.channel)
                            return
                        }
                        try await write(answer.response, to: outbound)
                    }
                }
            }
        } catch is CancellationError {
            return
        } catch let error as IOError where [ECONNRESET, EPIPE].contains(error.errnoCode) {
            return  // the client went away: nothing to report
        } catch ChannelError.ioOnClosedChannel {
            return
        } catch {
            log("signing \(peer): connection ended: \(error)")
        }
    }
}

/// Closes a signing connection on which the client has sent nothing for the idle timeout
/// (`IdleStateHandler`'s read event): between requests on a keep-alive connection, or in the
/// middle of a request it stopped sending. A request the server is still answering (a delayed
/// answer of `--fault`) is not cut short.
private final class IdleConnectionCloser: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart

    /// Requests received whole and not yet answered whole.
    private var answering = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { answering += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { answering = max(0, answering - 1) }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read else {
            return context.fireUserInboundEventTriggered(event)
        }
        if answering == 0 { context.close(promise: nil) }
    }
}
