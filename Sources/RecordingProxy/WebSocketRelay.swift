import MockServers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization
import Tape
import TapeClient

/// The WebSocket listener: each client upgrade is first tried on the push server (the one the
/// last fetch answer named, or `--ws-upstream`); its answer — 101 or a refusal — goes back to
/// the client, and every message both ways is relayed and recorded.
final class WebSocketRelay: Sendable {
    typealias Frames = NIOAsyncChannel<WebSocketFrame, WebSocketFrame>

    enum Upgrade: Sendable {
        case relayed(client: Frames, upstream: Frames, conn: Int)
        case notRelayed
    }

    /// Carries the upstream connection from the handshake decision to the upgraded pipeline.
    final class Pending: Sendable {
        let upstream = Mutex<(Frames, Int)?>(nil)
    }

    let fixedUpstream: String?
    let maxFrameBytes: Int
    let tls: TLSOptions
    let state: ProxyState

    init(fixedUpstream: String?, maxFrameBytes: Int, tls: TLSOptions, state: ProxyState) {
        self.fixedUpstream = fixedUpstream
        self.maxFrameBytes = maxFrameBytes
        self.tls = tls
        self.state = state
    }

    func bind(host: String, port: Int) async throws -> NIOAsyncChannel<EventLoopFuture<Upgrade>, Never> {
        try await ServerBootstrap.listener()
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pending = Pending()
                    let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
                        maxFrameSize: self.maxFrameBytes,
                        shouldUpgrade: { channel, head in
                            channel.eventLoop.makeFutureWithTask { await self.handshake(head, client: channel, pending: pending) }
                        },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 16,
                                                                maxAccumulatedFrameSize: self.maxFrameBytes))
                                guard let (upstream, conn) = pending.upstream.withLock({ $0 }) else { return .notRelayed }
                                return .relayed(client: try Frames(wrappingChannelSynchronously: channel), upstream: upstream, conn: conn)
                            }
                        })
                    let configuration = NIOTypedHTTPServerUpgradeConfiguration<Upgrade>(
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(PlainRequestRefusal())
                                return .notRelayed
                            }
                        })
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                }
            }
    }

    /// Opens the upstream WebSocket for a client's handshake. Returns the headers of the
    /// accepted upgrade, or nil after answering the client with the upstream's refusal or 502.
    private func handshake(_ head: HTTPRequestHead, client: any Channel, pending: Pending) async -> HTTPHeaders? {
        let conn = state.recorder.nextConnection()
        let opened = state.recorder.now()
        let headers = head.headers.map { HTTPHeader($0.name, $0.value) }.removing(handshakeHeaders)
        guard let base = fixedUpstream ?? state.learntPushServer.withLock({ $0 }) else {
            refuse(client, .json(502, ["message": "no push server known: fetch through the proxy first, or give --ws-upstream"]))
            state.log("record: WebSocket \(head.uri): 502, no push server known yet")
            return nil
        }
        let query = ClientURL("ws://h" + head.uri)?.query ?? ""
        let target = String(base.prefix { $0 != "?" }) + (query.isEmpty ? "" : "?" + query)
        guard let url = ClientURL(target), url.scheme.hasPrefix("ws") else {
            refuse(client, .json(502, ["message": .string("cannot connect to \(base): not a ws:// or wss:// URL")]))
            state.log("record: WebSocket upstream \(base) is not a ws:// or wss:// URL; refused with 502")
            return nil
        }
        do {
            switch try await WebSocketClientConnection.connect(to: url, headers: headers, maxFrameBytes: maxFrameBytes, tls: tls) {
            case .upgraded(let upstream, let response):
                let subprotocol = response.headers.first("sec-websocket-protocol")
                state.recorder.emit { _ in
                    .wsOpen(WebSocketOpen(timeMicros: opened, conn: conn, url: target, requestHeaders: headers, response: response, subprotocol: subprotocol))
                }
                pending.upstream.withLock { $0 = (upstream, conn) }
                var extra = HTTPHeaders(response.headers.removing(handshakeHeaders.union(["sec-websocket-protocol"])).map { ($0.name, $0.value) })
                if let subprotocol { extra.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
                return extra
            case .refused(let response):
                state.recorder.emit { _ in .wsOpen(WebSocketOpen(timeMicros: opened, conn: conn, url: target, requestHeaders: headers, response: response)) }
                state.recorder.emit { .wsClose(WebSocketClose(timeMicros: $0, conn: conn, by: .abnormal)) }
                state.log("record: WebSocket \(target): refused by the push server with HTTP \(response.status)"
                          + (response.headers.first("handshake-status").map { ", Handshake-Status \($0)" } ?? ""))
                refuse(client, MockResponse(status: response.status, headers: response.headers.removing(hopByHopHeaders), body: response.body.bytes))
                return nil
            }
        } catch {
            state.recorder.emit { _ in .wsOpen(WebSocketOpen(timeMicros: opened, conn: conn, url: target, requestHeaders: headers, response: nil, error: "\(error)")) }
            state.recorder.emit { .wsClose(WebSocketClose(timeMicros: $0, conn: conn, by: .abnormal)) }
            state.log("record: WebSocket \(target): cannot reach the push server: \(error)")
            refuse(client, .json(502, ["message": .string("the push server cannot be reached: \(error)")]))
            return nil
        }
    }

    private func refuse(_ channel: any Channel, _ response: MockResponse) {
        let (head, body) = response.parts(keepAlive: false)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        if body.readableBytes > 0 { channel.write(HTTPServerResponsePart.body(.byteBuffer(body)), promise: nil) }
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
    }

    func serve(_ upgrade: EventLoopFuture<Upgrade>) async {
        guard case .relayed(let client, let upstream, let conn)? = try? await upgrade.get() else { return }
        state.openSessions.add(1, ordering: .relaxed)
        defer { state.openSessions.subtract(1, ordering: .relaxed) }
        let closed = Mutex(false)
        let recordClose: @Sendable (CloseInitiator, Int?, String) -> Bool = { by, code, reason in
            guard closed.withLock({ done in defer { done = true }; return !done }) else { return false }
            self.state.recorder.emit { .wsClose(WebSocketClose(timeMicros: $0, conn: conn, code: code, reason: reason, by: by)) }
            return true
        }
        do {
            try await client.executeThenClose { clientIn, clientOut in
                try await upstream.executeThenClose { upstreamIn, upstreamOut in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await self.pump(clientIn, to: upstreamOut, direction: .send, conn: conn, recordClose: recordClose) }
                        group.addTask { try await self.pump(upstreamIn, to: clientOut, direction: .recv, conn: conn, recordClose: recordClose) }
                        // One side ended: give the other a moment to finish its close handshake.
                        try await group.next()
                        group.addTask { try await Task.sleep(for: .seconds(2)) }
                        try await group.next()
                        group.cancelAll()
                    }
                }
            }
        } catch is CancellationError {
        } catch {
            state.log("record: WebSocket session \(conn): \(error)")
        }
        _ = recordClose(.abnormal, nil, "")
    }

    /// Relays and records messages from one side to the other until a close frame or EOF.
    private func pump(_ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>, to outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
                      direction: TapeDirection, conn: Int, recordClose: (CloseInitiator, Int?, String) -> Bool) async throws {
        let masked = direction == .send
        for try await frame in inbound {
            var data = frame.unmaskedData
            if frame.opcode == .connectionClose {
                var reading = data
                let code = reading.readInteger(as: UInt16.self).map(Int.init)
                let reason = reading.readString(length: reading.readableBytes) ?? ""
                _ = recordClose(direction == .send ? .client : .server, code, reason)
                try? await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: masked ? .random() : nil, data: data))
                return
            }
            if let opcode = Tape.WebSocketOpcode(rawValue: UInt8(webSocketOpcode: frame.opcode)) {
                let payload = Array(data.readableBytesView)
                state.recorder.emit { .wsMessage(WebSocketMessage(timeMicros: $0, conn: conn, direction: direction, opcode: opcode, payload: Body(payload))) }
                state.messages.add(1, ordering: .relaxed)
            }
            try await outbound.write(WebSocketFrame(fin: true, opcode: frame.opcode, maskKey: masked ? .random() : nil, data: data.readSlice(length: data.readableBytes)!))
        }
        _ = recordClose(.abnormal, nil, "")
    }
}

/// Answers a request without `Upgrade` on the WebSocket port with 426.
final class PlainRequestRefusal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let (head, body) = MockResponse.json(426, ["message": "this is a WebSocket endpoint: send an Upgrade request"]).parts(keepAlive: false)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
