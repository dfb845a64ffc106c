import NIOCore

/// Closes a connection the way a careful server does. On `close`, the output is shut down — what
/// was written, such as a WebSocket close frame, goes out, then a FIN — and whatever the client
/// still sends is read and dropped until it closes too or `linger` passes. Closing a socket with
/// unread input makes the kernel answer with a reset, which can destroy the close frame before the
/// client reads it (a client whose oversized frame is refused with 1009 would see no 1009).
/// Placed first in the pipeline, next to the socket.
final class LingeringClose: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private let linger: TimeAmount
    private var closing = false

    init(linger: TimeAmount = .seconds(2)) {
        self.linger = linger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !closing { context.fireChannelRead(data) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !closing { context.fireChannelReadComplete() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, !closing, context.channel.isActive else {
            return context.close(mode: mode, promise: promise)
        }
        closing = true
        let timer = context.eventLoop.assumeIsolated().scheduleTask(in: linger) { context.close(mode: .all, promise: nil) }
        context.channel.closeFuture.whenComplete { _ in
            timer.cancel()
            promise?.succeed(())
        }
        let halfClosed = context.eventLoop.makePromise(of: Void.self)
        halfClosed.futureResult.assumeIsolated().whenFailure { _ in context.close(mode: .all, promise: nil) }
        context.close(mode: .output, promise: halfClosed)
        context.read()
    }
}
