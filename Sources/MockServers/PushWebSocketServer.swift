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

    /// A connection whose handshake is under way, and what it will become.
    struct Negotiation: Sendable {
        let channel: any Channel
        let upgrade: EventLoopFuture<Upgrade>
    }

    struct Settings: Sendable {
        var speed: ReplaySpeed
        var rules: MatchRules
        var maxFrameBytes: Int
        /// How long a client may take to send its complete upgrade request (408 after).
        var handshakeTimeout: Duration
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

    func bind(host: String, port: Int, group: any EventLoopGroup, tls: NIOSSLContext?) async throws -> NIOAsyncChannel<Negotiation, Never> {
        try await ServerBootstrap.listener(group: group)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LingeringClose())
                    try tls.secure(channel)
                    let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
                        maxFrameSize: self.settings.maxFrameBytes,
                        enableAutomaticErrorHandling: false,  // ProtocolErrorCloser answers errors
                        shouldUpgrade: { channel, head in
                            channel.eventLoop.makeSucceededFuture(self.upgradeHeaders(for: head, on: channel))
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                let deflate = Self.permessageDeflate(for: head)
                                try channel.pipeline.syncOperations.addHandler(ClientFrameCheck(rsv1Allowed: deflate != nil))
                                if let deflate {
                                    try channel.pipeline.syncOperations.addHandler(
                                        PerMessageDeflateHandler(deflate, role: .server, maxMessageBytes: self.settings.maxFrameBytes))
                                }
                                try channel.pipeline.syncOperations.addHandlers(
                                    NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024,
                                                                maxAccumulatedFrameSize: self.settings.maxFrameBytes),
                                    ProtocolErrorCloser(role: .server))
                                return Upgrade.webSocket(try WebSocketChannel(wrappingChannelSynchronously: channel), head)
                            }
                        })
                    let configuration = NIOTypedHTTPServerUpgradeConfiguration(
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture { Upgrade.http(try HTTPChannel(wrappingChannelSynchronously: channel)) }
                        })
                    let upgrade = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                    let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(self.settings.handshakeTimeout)) {
                        self.refuseLateHandshake(on: channel)
                    }
                    upgrade.whenComplete { _ in deadline.cancel() }
                    return Negotiation(channel: channel, upgrade: upgrade)
                }
            }
    }

    func serve(_ negotiation: Negotiation) async {
        do {
            // Waiting for a client's handshake ends when the server stops.
            let upgrade = try await withTaskCancellationHandler {
                try await negotiation.upgrade.get()
            } onCancel: {
                negotiation.channel.close(promise: nil)
            }
            switch upgrade {
            case .webSocket(let channel, let head): await replay(channel, head: head)
            case .http(let channel): await answerPlainHTTP(channel)
            }
        } catch {
            // A refusal on purpose was answered and logged by `upgradeHeaders` or `refuseLateHandshake`.
            if error as? NIOWebSocketUpgradeError != .unsupportedWebSocketTarget, negotiation.channel.isActive {
                log("push: handshake failed: \(error)")
            }
        }
    }

    /// What the server accepts of the permessage-deflate the client offers: the first valid
    /// offer, whatever the recorded session did (every parameter of RFC 7692 can be honoured).
    static func permessageDeflate(for head: HTTPRequestHead) -> PerMessageDeflate? {
        PerMessageDeflate.accept(offeredIn: head.headers["Sec-WebSocket-Extensions"])
    }

    /// Answers 408 and closes a connection whose client has not sent a complete upgrade request
    /// within the handshake timeout. Written below NIO's HTTP pipeline handler, which refuses a
    /// response to a request it has not seen.
    private func refuseLateHandshake(on channel: any Channel) {
        let number = connections.add(1, ordering: .relaxed).newValue
        let timeout = settings.handshakeTimeout
        log("push session \(number): no complete upgrade request within \(timeout): 408")
        let context = try? channel.pipeline.syncOperations.context(handlerType: HTTPServerPipelineHandler.self)
        answerAndClose(.json(408, ["message": .string("no complete upgrade request within \(timeout)")]), on: channel, below: context)
    }

    /// Writes `response` as the last on `channel` (from `context` toward the socket, when given),
    /// then closes it.
    private func answerAndClose(_ response: MockResponse, on channel: any Channel, below context: ChannelHandlerContext? = nil) {
        let (head, body) = response.parts(keepAlive: false)
        var parts: [HTTPServerResponsePart] = [.head(head)]
        if body.readableBytes > 0 { parts.append(.body(.byteBuffer(body))) }
        parts.append(.end(nil))
        let written = channel.eventLoop.makePromise(of: Void.self)
        for (index, part) in parts.enumerated() {
            let promise = index == parts.count - 1 ? written : nil
            if let context { context.write(NIOAny(part), promise: promise) } else { channel.write(part, promise: promise) }
        }
        if let context { context.flush() } else { channel.flush() }
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
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
            answerAndClose(refusal(for: head), on: channel)
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
        /// A write failed: the connection is closing, and the client's side tells how it ended.
        case connectionLost
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
                let send: @Sendable (WebSocketFrame) async -> Bool = { frame in
                    do {
                        try await outbound.write(frame)
                        return true
                    } catch {
                        return false
                    }
                }
                try await withThrowingTaskGroup(of: Step.self) { group in
                    group.addTask {
                        for (index, message) in session.serverMessages.enumerated() {
                            if let delay = speed.delayNanos(message.offsetMicros) {
                                try await Task.sleep(until: start + .nanoseconds(delay), clock: clock)
                            } else {
                                // At --speed max nothing else suspends this loop while the client keeps up:
                                // without a yield one replay holds a thread of the pool until it is done.
                                await Task.yield()
                            }
                            guard let opcode = NIOWebSocket.WebSocketOpcode(encodedWebSocketOpcode: message.opcode.rawValue) else { continue }
                            // Noted before the write: the client may ack before the write returns.
                            state.monitor.withLock { $0.sent(frame: index, payload: message.payload, at: elapsed()) }
                            guard await send(WebSocketFrame(fin: true, opcode: opcode, data: ByteBuffer(bytes: message.payload))) else { return .connectionLost }
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
                            guard claimed else { return .serverClosed }
                            return await send(serverCloseFrame(code: close.code, reason: close.reason)) ? .serverClosed : .connectionLost
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
                                    if first { try await outbound.write(serverCloseFrame(code: code, reason: "")) }
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
                                    continue  // reserved opcodes are refused by ClientFrameCheck
                                }
                            }
                        } catch let violation as ProtocolViolation {
                            log("push session \(number): \(violation); closed with \(violation.code)")
                            state.ending.withLock {
                                $0 = $0 ?? WebSocketClose(timeMicros: elapsed(), conn: number, code: violation.code, reason: violation.description, by: .server)
                            }
                            return .clientDone
                        } catch let error as IOError where error.errnoCode == ECONNRESET {
                            log("push session \(number): the client reset the connection")
                        } catch {
                            log("push session \(number): client protocol error: \(error)")
                        }
                        state.ending.withLock { $0 = $0 ?? WebSocketClose(timeMicros: elapsed(), conn: number, by: .abnormal) }
                        return .clientDone
                    }
                    while let step = try await group.next() {
                        switch step {
                        case .serverWaitsForClient, .connectionLost:
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
