import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization
import Tape
import WireKit

/// The mock push server: every WebSocket upgrade (any path) gets its own replay of the
/// recorded session whose query is closest to the client's.
final class PushWebSocketServer: Sendable {
    typealias WebSocketChannel = NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
    typealias HTTPChannel = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    enum Upgrade: Sendable {
        case webSocket(WebSocketChannel, HTTPRequestHead)
        case http(HTTPChannel)
    }

    struct Settings: Sendable {
        var speed: ReplaySpeed
        var rules: MatchRules
        var maxFrameBytes: Int
        /// How long to wait for the client's close frame after the server sent its own.
        var closeTimeout: Duration = .seconds(2)
    }

    private let sessions: [RecordedSession]
    private let settings: Settings
    private let log: @Sendable (String) -> Void
    private let report: @Sendable (SessionReport) -> Void
    private let connections = Atomic<Int>(0)

    init(tape: ServedTape, settings: Settings, log: @escaping @Sendable (String) -> Void, report: @escaping @Sendable (SessionReport) -> Void) {
        sessions = tape.sessions
        self.settings = settings
        self.log = log
        self.report = report
    }

    func bind(host: String, port: Int, group: any EventLoopGroup, tls: NIOSSLContext?) async throws -> NIOAsyncChannel<EventLoopFuture<Upgrade>, Never> {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LingeringClose())
                    try tls.secure(channel)
                    let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
                        maxFrameSize: self.settings.maxFrameBytes,
                        shouldUpgrade: { channel, head in
                            channel.eventLoop.makeSucceededFuture(self.upgradeHeaders(for: head, on: channel))
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(MaskedFrameCheck())
                                if let deflate = Self.permessageDeflate(for: head) {
                                    try channel.pipeline.syncOperations.addHandler(
                                        PerMessageDeflateHandler(deflate, role: .server, maxMessageBytes: self.settings.maxFrameBytes))
                                }
                                try channel.pipeline.syncOperations.addHandler(
                                    NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024,
                                                                maxAccumulatedFrameSize: self.settings.maxFrameBytes))
                                return Upgrade.webSocket(try WebSocketChannel(wrappingChannelSynchronously: channel), head)
                            }
                        })
                    let configuration = NIOTypedHTTPServerUpgradeConfiguration(
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture { Upgrade.http(try HTTPChannel(wrappingChannelSynchronously: channel)) }
                        })
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                }
            }
    }

    func serve(_ upgrade: EventLoopFuture<Upgrade>) async {
        do {
            switch try await upgrade.get() {
            case .webSocket(let channel, let head): await replay(channel, head: head)
            case .http(let channel): await answerPlainHTTP(channel)
            }
        } catch {
            // A refusal on purpose was answered and logged by `upgradeHeaders`.
            if error as? NIOWebSocketUpgradeError != .unsupportedWebSocketTarget { log("push: handshake failed: \(error)") }
        }
    }

    /// What the server accepts of the permessage-deflate the client offers: the first valid
    /// offer, whatever the recorded session did (every parameter of RFC 7692 can be honoured).
    static func permessageDeflate(for head: HTTPRequestHead) -> PerMessageDeflate? {
        PerMessageDeflate.accept(offeredIn: head.headers["Sec-WebSocket-Extensions"])
    }

    /// The recorded session whose handshake query differs least from `head`'s (the first on a tie).
    func session(for head: HTTPRequestHead) -> RecordedSession? {
        let received = NormalizedRequest(IncomingRequest(method: "GET", target: head.uri))
        return sessions.min { a, b in
            differenceCount(a, received) < differenceCount(b, received)
        }
    }

    private func differenceCount(_ session: RecordedSession, _ received: NormalizedRequest) -> Int {
        NormalizedRequest(IncomingRequest(method: "GET", target: session.open.url))
            .differences(to: received, rules: settings.rules)
            .filter { if case .query = $0.field { true } else { false } }.count
    }

    private static let handshakeHeaders: Set<String> = [
        "upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions",
        "content-length", "transfer-encoding",
    ]

    /// The extra response headers of an accepted upgrade, or nil after answering the request
    /// on `channel` without upgrading: the recorded refusal (e.g. HTTP 200 with
    /// `Handshake-Status: 415`), or 404 when the tape has no WebSocket session.
    private func upgradeHeaders(for head: HTTPRequestHead, on channel: any Channel) -> HTTPHeaders? {
        guard let session = session(for: head), session.wasAccepted, let response = session.open.response else {
            let refusal = refusal(for: head)
            let (responseHead, body) = refusal.parts(keepAlive: false)
            channel.write(HTTPServerResponsePart.head(responseHead), promise: nil)
            if body.readableBytes > 0 { channel.write(HTTPServerResponsePart.body(.byteBuffer(body)), promise: nil) }
            channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
            return nil
        }
        var headers = HTTPHeaders(response.headers.filter { !Self.handshakeHeaders.contains($0.name.lowercased()) })
        let offered = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map(String.init)
        if let recorded = session.open.subprotocol, offered.contains(recorded) {
            headers.add(name: "Sec-WebSocket-Protocol", value: recorded)
        } else if session.open.subprotocol == nil, let first = offered.first {
            headers.add(name: "Sec-WebSocket-Protocol", value: first)
        }
        if let deflate = Self.permessageDeflate(for: head) {
            headers.add(name: "Sec-WebSocket-Extensions", value: deflate.headerValue)
        }
        return headers
    }

    /// The answer to a request the push server does not upgrade, logged: the recorded refusal,
    /// 404 when the tape has no WebSocket session, else 426 (a plain request to a WebSocket
    /// endpoint).
    private func refusal(for head: HTTPRequestHead) -> MockResponse {
        let number = connections.add(1, ordering: .relaxed).newValue
        if let session = session(for: head), !session.wasAccepted {
            let recorded = session.open.response
            let status = recorded?.headers.first { $0.name.lowercased() == "handshake-status" }?.value ?? "-"
            log("push session \(number): handshake refused as recorded: HTTP \(recorded?.status ?? 502), Handshake-Status \(status)")
            guard let recorded else {
                return .json(502, ["message": .string("the recorded handshake failed: \(session.open.error ?? "no response")")])
            }
            return MockResponse(status: recorded.status,
                                headers: recorded.headers.filter { !Self.handshakeHeaders.contains($0.name.lowercased()) },
                                body: recorded.body.bytes)
        }
        if sessions.isEmpty {
            log("push session \(number): \(head.uri): 404, the tape has no WebSocket session")
            return .json(404, ["message": "the tape has no WebSocket session"])
        }
        log("push session \(number): \(head.method) \(head.uri) without Upgrade: 426")
        return .json(426, ["message": "this is a WebSocket endpoint: send an Upgrade request"])
    }

    /// A request that was not an upgrade: answered by `refusal`.
    private func answerPlainHTTP(_ channel: HTTPChannel) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                for try await part in inbound {
                    guard case .head(let head) = part else { continue }
                    try await writeLast(refusal(for: head), on: channel.channel)
                    return
                }
            }
        } catch {
            log("push: plain HTTP request failed: \(error)")
        }
    }

    private enum Step: Sendable {
        case clientDone
        case serverWaitsForClient
        case serverClosed
        case dropConnection
        case closeTimedOut
    }

    private func replay(_ channel: WebSocketChannel, head: HTTPRequestHead) async {
        let number = connections.add(1, ordering: .relaxed).newValue
        guard let session = session(for: head) else { return }
        let request = IncomingRequest(method: "GET", target: head.uri)
        let state = ReplayState(SessionMonitor(recorded: session, request: request, rules: settings.rules,
                                                  checksHeartbeatInterval: settings.speed == .factor(1),
                                                  permessageDeflate: Self.permessageDeflate(for: head)))
        let clock = ContinuousClock()
        let start = clock.now
        let elapsed: @Sendable () -> UInt64 = {
            let d = clock.now - start
            return UInt64(max(0, d.components.seconds)) * 1_000_000 + UInt64(max(0, d.components.attoseconds)) / 1_000_000_000_000
        }
        let speed = settings.speed
        let closeTimeout = settings.closeTimeout
        let log = self.log
        do {
            try await channel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Step.self) { group in
                    group.addTask {
                        for (index, message) in session.serverMessages.enumerated() {
                            if let delay = speed.delayNanos(message.offsetMicros) {
                                try await Task.sleep(until: start + .nanoseconds(delay), clock: clock)
                            }
                            guard let opcode = NIOWebSocket.WebSocketOpcode(encodedWebSocketOpcode: message.opcode.rawValue) else { continue }
                            // Noted before the write: the client may ack before the write returns.
                            state.monitor.withLock { $0.sent(frame: index, payload: message.payload, at: elapsed()) }
                            try await outbound.write(WebSocketFrame(fin: true, opcode: opcode, data: ByteBuffer(bytes: message.payload)))
                        }
                        guard let close = session.close else { return .serverWaitsForClient }
                        if let delay = speed.delayNanos(close.timeMicros > session.open.timeMicros ? close.timeMicros - session.open.timeMicros : 0) {
                            try await Task.sleep(until: start + .nanoseconds(delay), clock: clock)
                        }
                        switch close.by {
                        case .client:
                            return .serverWaitsForClient
                        case .abnormal:
                            state.ending.withLock { $0 = $0 ?? WebSocketClose(timeMicros: elapsed(), conn: number, by: .abnormal) }
                            return .dropConnection
                        case .server:
                            let claimed = state.ending.withLock { end -> Bool in
                                guard end == nil else { return false }
                                end = WebSocketClose(timeMicros: elapsed(), conn: number, code: close.code, reason: close.reason, by: .server)
                                return true
                            }
                            if claimed { try await outbound.write(Self.closeFrame(code: close.code, reason: close.reason)) }
                            return .serverClosed
                        }
                    }
                    group.addTask {
                        do {
                            for try await frame in inbound {
                                switch frame.opcode {
                                case .connectionClose:
                                    var data = frame.unmaskedData
                                    let code = data.readInteger(as: UInt16.self).map(Int.init)
                                    let reason = data.readString(length: data.readableBytes) ?? ""
                                    let first = state.ending.withLock { end -> Bool in
                                        guard end == nil else { return false }
                                        end = WebSocketClose(timeMicros: elapsed(), conn: number, code: code, reason: reason, by: .client)
                                        return true
                                    }
                                    if first { try await outbound.write(Self.closeFrame(code: code, reason: "")) }
                                    return .clientDone
                                case .ping:
                                    try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
                                case .pong:
                                    continue
                                case .binary, .text:
                                    let opcode: Tape.WebSocketOpcode = frame.opcode == .text ? .text : .binary
                                    let payload = Array(frame.unmaskedData.readableBytesView)
                                    state.monitor.withLock { $0.received(opcode: opcode, payload: payload, at: elapsed()) }
                                default:
                                    let code = Int(UInt8(webSocketOpcode: frame.opcode))
                                    log("push session \(number): client sent a frame with reserved opcode \(code); closed with 1002")
                                    state.ending.withLock { $0 = $0 ?? WebSocketClose(timeMicros: elapsed(), conn: number, code: 1002, reason: "reserved opcode", by: .server) }
                                    try await outbound.write(Self.closeFrame(code: 1002, reason: "reserved opcode \(code)"))
                                    return .clientDone
                                }
                            }
                        } catch {
                            log("push session \(number): client protocol error: \(error)")
                        }
                        state.ending.withLock { $0 = $0 ?? WebSocketClose(timeMicros: elapsed(), conn: number, by: .abnormal) }
                        return .clientDone
                    }
                    while let step = try await group.next() {
                        switch step {
                        case .serverWaitsForClient:
                            continue
                        case .serverClosed:
                            group.addTask {
                                try await Task.sleep(for: closeTimeout)
                                return .closeTimedOut
                            }
                        case .clientDone, .dropConnection, .closeTimedOut:
                            group.cancelAll()
                            return
                        }
                    }
                }
            }
        } catch is CancellationError {
            state.ending.withLock { $0 = $0 ?? WebSocketClose(timeMicros: elapsed(), conn: number, by: .abnormal) }
        } catch {
            log("push session \(number): \(error)")
            state.ending.withLock { $0 = $0 ?? WebSocketClose(timeMicros: elapsed(), conn: number, by: .abnormal) }
        }
        let result = state.monitor.withLock { $0.report(session: number, path: request.path, close: state.ending.withLock { $0 }) }
        var summary = "push session \(number): \(result.framesSent)/\(result.framesRecorded) frames\(result.permessageDeflate == nil ? "" : " (permessage-deflate)"), \(result.acksReceived)/\(result.acksExpected) acks, "
        summary += result.deviations.isEmpty ? "client behaved as recorded" : "\(result.deviations.count) deviations: " + result.deviations.joined(separator: "; ")
        if !result.handshakeDifferences.isEmpty {
            summary += "; handshake query differs: " + result.handshakeDifferences.joined(separator: "; ")
        }
        log(summary)
        report(result)
    }

    private static func closeFrame(code: Int?, reason: String) -> WebSocketFrame {
        var data = ByteBuffer()
        if let code {
            data.writeInteger(UInt16(truncatingIfNeeded: code))
            data.writeString(reason)
        }
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }
}

/// What both halves of a replay share.
private final class ReplayState: Sendable {
    let monitor: Mutex<SessionMonitor>
    /// How the connection ended, once it did.
    let ending = Mutex<WebSocketClose?>(nil)

    init(_ monitor: SessionMonitor) {
        self.monitor = Mutex(monitor)
    }
}

/// Closes the connection with 1002 when a client sends an unmasked frame (RFC 6455 §5.1).
final class MaskedFrameCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    struct UnmaskedFrame: Error, CustomStringConvertible {
        var description: String { "unmasked frame from the client (RFC 6455 §5.1); closed with 1002" }
    }

    private var closed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        let frame = unwrapInboundIn(data)
        guard frame.maskKey != nil else {
            closed = true
            context.closeWebSocket(.protocolError, masked: false, because: UnmaskedFrame())
            return
        }
        context.fireChannelRead(data)
    }
}
