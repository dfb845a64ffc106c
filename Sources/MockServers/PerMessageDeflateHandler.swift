import NIOCore
import NIOWebSocket
import WireKit

/// permessage-deflate (RFC 7692) on an upgraded WebSocket pipeline, between the frame decoder
/// and `NIOWebSocketFrameAggregator`. Text and binary messages written whole are compressed
/// (RSV1 set, the `00 00 ff ff` tail stripped); fragmented messages and control frames go out
/// as they are. Received messages with RSV1 are inflated fragment by fragment, at most
/// `maxMessageBytes` each; an inflated message keeps RSV1 on its first frame as the mark that it
/// came compressed. Each direction keeps its window across messages unless the negotiation
/// said no_context_takeover. A message that inflates too large fails the connection with a
/// `PerMessageDeflateError` of 1009, corrupt data with 1007, RSV1 on a control or continuation
/// frame with 1002, which `ProtocolErrorCloser` answers with a close frame.
public final class PerMessageDeflateHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias InboundOut = WebSocketFrame
    public typealias OutboundIn = WebSocketFrame
    public typealias OutboundOut = WebSocketFrame

    /// Which end of the connection the pipeline is.
    public enum Role: Sendable {
        case server, client
    }

    private let deflater: StreamingDeflater
    private let inflater = StreamingInflater()
    private let peerTakesOverContext: Bool
    private let maxMessageBytes: Int
    /// Bytes inflated so far of the compressed message being received; nil outside one.
    private var inflated: Int?
    private var failed = false

    /// A handler for `role`'s end of a connection that negotiated `parameters`.
    public init(_ parameters: PerMessageDeflate, role: Role, maxMessageBytes: Int) {
        let (ownWindow, ownReset, peerReset) = switch role {
        case .server: (parameters.serverMaxWindowBits, parameters.serverNoContextTakeover, parameters.clientNoContextTakeover)
        case .client: (parameters.clientMaxWindowBits, parameters.clientNoContextTakeover, parameters.serverNoContextTakeover)
        }
        deflater = StreamingDeflater(windowBits: ownWindow ?? 15, contextTakeover: !ownReset)
        peerTakesOverContext = !peerReset
        self.maxMessageBytes = maxMessageBytes
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            inflated = frame.rsv1 ? 0 : nil
        case .continuation where !frame.rsv1:
            break
        default:
            guard frame.rsv1 else { return context.fireChannelRead(data) }
            return fail(context, .protocolError, "RSV1 on a \(frame.opcode) frame")
        }
        guard let before = inflated else { return context.fireChannelRead(data) }
        do {
            let payload = try inflater.inflate(Array(frame.unmaskedData.readableBytesView), appendSyncTail: frame.fin,
                                               limit: maxMessageBytes - before)
            inflated = frame.fin ? nil : before + payload.count
            if frame.fin && !peerTakesOverContext { inflater.reset() }
            let out = WebSocketFrame(fin: frame.fin, rsv1: frame.opcode != .continuation, opcode: frame.opcode,
                                     data: context.channel.allocator.buffer(bytes: payload))
            context.fireChannelRead(wrapInboundOut(out))
        } catch {
            if case .outputLimitExceeded = error.reason {
                fail(context, .messageTooLarge, "a message inflates to over \(maxMessageBytes) bytes")
            } else {
                fail(context, .dataInconsistentWithMessage, "\(error)")
            }
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var frame = unwrapOutboundIn(data)
        guard frame.fin, frame.opcode == .text || frame.opcode == .binary else { return context.write(data, promise: promise) }
        frame.data = context.channel.allocator.buffer(bytes: deflater.deflate(Array(frame.data.readableBytesView)))
        frame.rsv1 = true
        context.write(wrapOutboundOut(frame), promise: promise)
    }

    private func fail(_ context: ChannelHandlerContext, _ code: WebSocketErrorCode, _ problem: String) {
        failed = true
        context.fireErrorCaught(PerMessageDeflateError(problem: problem, code: code))
    }
}

/// Why a permessage-deflate connection was closed.
public struct PerMessageDeflateError: Error, CustomStringConvertible {
    public var problem: String
    public var code: WebSocketErrorCode

    public var description: String { "permessage-deflate: \(problem)" }
}
