import NIOCore
import NIOWebSocket

/// The peer broke the WebSocket protocol: `ProtocolErrorCloser` sent a close frame with `code`
/// and closed the connection.
public struct ProtocolViolation: Error, CustomStringConvertible {
    /// 1002 (protocol error), 1007 (data inconsistent with the message) or 1009 (message too big).
    public var code: Int
    public var description: String

    init(code: Int, _ description: String) {
        self.code = code
        self.description = description
    }

    /// The violation behind an error of NIO's frame decoder or aggregator, or of
    /// `PerMessageDeflateHandler`; nil for other errors.
    init?(_ error: any Error) {
        switch error {
        case let violation as ProtocolViolation:
            self = violation
        case let error as PerMessageDeflateError:
            self.init(code: Int(UInt16(webSocketErrorCode: error.code)), error.description)
        case NIOWebSocketError.invalidFrameLength:
            self.init(code: 1009, "frame length over the largest accepted message (or invalid)")
        case let error as NIOWebSocketError:
            self.init(code: 1002, "invalid control frame (\(error))")
        case NIOWebSocketFrameAggregator.Error.accumulatedFrameSizeIsTooLarge, NIOWebSocketFrameAggregator.Error.tooManyFragments:
            self.init(code: 1009, "fragmented message over the largest accepted message")
        case let error as NIOWebSocketFrameAggregator.Error:
            self.init(code: 1002, "invalid fragmentation (\(error))")
        default:
            return nil
        }
    }
}

/// Checks every client frame before fragments are joined, and fails the connection with a
/// `ProtocolViolation` (1002) on a frame RFC 6455 forbids: unmasked (§5.1), with reserved bits
/// set that no extension was negotiated for (§5.2; RSV1 belongs to permessage-deflate), or with
/// a reserved opcode.
final class ClientFrameCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private let rsv1Allowed: Bool
    private var failed = false

    /// A check for a connection where `rsv1Allowed` says whether permessage-deflate was negotiated.
    init(rsv1Allowed: Bool) {
        self.rsv1Allowed = rsv1Allowed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let frame = unwrapInboundIn(data)
        let opcode = UInt8(webSocketOpcode: frame.opcode)
        let problem: String? = if frame.maskKey == nil {
            "unmasked frame from the client (RFC 6455 §5.1)"
        } else if frame.rsv1 && !rsv1Allowed || frame.rsv2 || frame.rsv3 {
            "frame with reserved bits set that no extension was negotiated for (RFC 6455 §5.2)"
        } else if (3...7).contains(opcode) || opcode > 10 {
            "frame with reserved opcode \(opcode)"
        } else {
            nil
        }
        guard let problem else { return context.fireChannelRead(data) }
        failed = true
        context.fireErrorCaught(ProtocolViolation(code: 1002, problem))
    }
}

/// Answers the peer's protocol violation (`ProtocolViolation`, or an error of NIO's decoder or
/// aggregator or of `PerMessageDeflateHandler`) with a close frame carrying its code, closes the
/// connection and passes the violation on. Drops every frame written after a close frame
/// (RFC 6455 §5.5.1): their writes fail with `ChannelError.outputClosed`. Placed last in an
/// upgraded pipeline, where every error and every written frame passes.
public final class ProtocolErrorCloser: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias InboundOut = WebSocketFrame
    public typealias OutboundIn = WebSocketFrame
    public typealias OutboundOut = WebSocketFrame

    private let masked: Bool
    private var closeSent = false

    /// A closer for `role`'s end of the connection (a client masks its close frame).
    public init(role: PerMessageDeflateHandler.Role) {
        masked = role == .client
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let violation = ProtocolViolation(error) else { return context.fireErrorCaught(error) }
        // Passed on first: the close below may end the channel's inbound stream at once.
        context.fireErrorCaught(violation)
        if closeSent {
            context.close(promise: nil)
        } else {
            closeSent = true
            var close = serverCloseFrame(code: violation.code, reason: "")
            if masked { close.maskKey = .random() }
            context.writeAndFlush(wrapOutboundOut(close))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closeSent else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        closeSent = unwrapOutboundIn(data).opcode == .connectionClose
        context.write(data, promise: promise)
    }
}

/// A close frame from the server (unmasked): `code` and `reason`, or an empty body without a code.
func serverCloseFrame(code: Int?, reason: String) -> WebSocketFrame {
    var data = ByteBuffer()
    if let code {
        data.writeInteger(UInt16(truncatingIfNeeded: code))
        data.writeString(reason)
    }
    return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
}
