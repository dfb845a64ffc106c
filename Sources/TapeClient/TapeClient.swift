import MockServers
import NIOCore
import NIOWebSocket
import SwiftProtobuf
import Synchronization
import Tape
import WebcastProto
import WireKit

/// Plays the client side of a tape against a signing server and the push server it names:
/// the recorded signing requests, then each recorded WebSocket session — handshake with the
/// recorded query and headers, and the recorded client messages (`im_enter_room`, heartbeats,
/// acks), each sent once the server messages the tape holds before it have arrived. A session
/// whose client side was not recorded gets a generated one: `im_enter_room`, a heartbeat every
/// interval and an ack for every frame with `need_ack`. A session whose recorded handshake
/// offered permessage-deflate offers it again (its parameters as recorded) and, once accepted,
/// compresses and inflates its messages, recording them as `compressed`.
///
/// A signing request that fails in transport is sent once more before it is recorded as failed.
///
/// Everything the client sends and receives is handed to `record` as tape records, in order,
/// stamped with microseconds since `run` started: the tape of this replay.
public struct TapeClient: Sendable {
    public let tape: ServedTape
    /// Pacing of the recorded client messages; match the push server's speed.
    public var speed: ReplaySpeed
    /// Largest response body or WebSocket message accepted.
    public var maxMessageBytes = 64 << 20
    /// How https and wss servers are checked (and whether TLS secrets are logged).
    public var tls = TLSOptions()

    public init(tape: ServedTape, speed: ReplaySpeed = .max) {
        self.tape = tape
        self.speed = speed
    }

    /// Runs every recorded exchange and session against the signing server at `signURL`.
    /// `record` is called for each record, one call at a time.
    public func run(signURL: String, record: @escaping @Sendable (TapeRecord) -> Void) async throws {
        guard let base = ClientURL(signURL) else { throw ClientError.badURL(signURL) }
        let recorder = Recorder(record)
        var pushServer: String?
        let exchanges = tape.exchanges.isEmpty
            ? [HTTPExchange(timeMicros: 0, request: HTTPRequest(url: "/webcast/fetch?client=livetape&room_id=\(tape.roomID ?? "")"), response: nil)]
            : tape.exchanges
        for exchange in exchanges {
            let target = ClientURL.target(of: exchange.request.url)
            var url = base
            url.target = target
            let headers = exchange.request.headers.filter { !Self.framingHeaders.contains($0.name.lowercased()) }
            let conn = recorder.nextConnection()
            let started = recorder.now()
            var response: HTTPResponse?
            var failure: String?
            // A request that fails in transport is tried once more, as clients do.
            for _ in 0..<2 where response == nil {
                do {
                    response = try await HTTPClientConnection.send(exchange.request.method, to: url, headers: headers,
                                                                  body: exchange.request.body.bytes, maxBodyBytes: maxMessageBytes, tls: tls)
                    failure = nil
                } catch {
                    failure = "\(error)"
                }
            }
            recorder.emit { now in
                .http(HTTPExchange(timeMicros: started, conn: conn, durationMicros: now - started,
                                   request: HTTPRequest(method: exchange.request.method, url: signURL + target, headers: headers, body: exchange.request.body),
                                   response: response, error: failure))
            }
            if pushServer == nil, url.path == "/webcast/fetch", let response, response.status == 200,
               let result = try? ProtoMessageFetchResult(serializedBytes: response.body.bytes), !result.pushServer.isEmpty {
                pushServer = result.pushServer
            }
        }
        guard let pushServer else { return }
        for session in tape.sessions {
            let recordedURL = session.open.url
            let query = recordedURL.firstIndex(of: "?").map { String(recordedURL[$0...]) } ?? ""
            let target = Self.stripQuery(pushServer) + query
            try await play(session, url: target, recorder: recorder)
        }
    }

    static let framingHeaders: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "keep-alive"]
    static let handshakeHeaders: Set<String> = framingHeaders.union(["upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions"])

    /// The recorded handshake's permessage-deflate offers, as one `Sec-WebSocket-Extensions`
    /// header; none when it offered none.
    private static func deflateOffer(_ recorded: [HTTPHeader]) -> [HTTPHeader] {
        let offers = PerMessageDeflate.offers(in: recorded.filter { $0.name.lowercased() == "sec-websocket-extensions" }.map(\.value))
        return offers.isEmpty ? [] : [HTTPHeader("Sec-WebSocket-Extensions", offers.map(\.headerValue).joined(separator: ", "))]
    }

    private static func stripQuery(_ url: String) -> String { String(url.prefix { $0 != "?" }) }

    private func play(_ session: RecordedSession, url: String, recorder: Recorder) async throws {
        guard let parsed = ClientURL(url) else { throw ClientError.badURL(url) }
        let headers = session.open.requestHeaders.filter { !Self.handshakeHeaders.contains($0.name.lowercased()) }
            + Self.deflateOffer(session.open.requestHeaders)
        let conn = recorder.nextConnection()
        let opened = recorder.now()
        let handshake: WebSocketHandshake
        do {
            handshake = try await WebSocketClientConnection.connect(to: parsed, headers: headers, maxFrameBytes: maxMessageBytes, tls: tls)
        } catch {
            recorder.emit { _ in .wsOpen(WebSocketOpen(timeMicros: opened, conn: conn, url: url, requestHeaders: headers, response: nil, error: "\(error)")) }
            recorder.emit { now in .wsClose(WebSocketClose(timeMicros: now, conn: conn, by: .abnormal)) }
            return
        }
        switch handshake {
        case .refused(let response):
            recorder.emit { _ in .wsOpen(WebSocketOpen(timeMicros: opened, conn: conn, url: url, requestHeaders: headers, response: response)) }
            recorder.emit { now in .wsClose(WebSocketClose(timeMicros: now, conn: conn, by: .abnormal)) }
        case .upgraded(let channel, let response):
            let subprotocol = response.headers.first { $0.name.lowercased() == "sec-websocket-protocol" }?.value
            recorder.emit { _ in .wsOpen(WebSocketOpen(timeMicros: opened, conn: conn, url: url, requestHeaders: headers, response: response, subprotocol: subprotocol)) }
            let compresses = WebSocketExtension.parse(response.headers.filter { $0.name.lowercased() == "sec-websocket-extensions" }.map(\.value))
                .contains { $0.name == PerMessageDeflate.name }
            try await SessionPlayer(session: session, conn: conn, recorder: recorder, roomID: Int64(tape.roomID ?? "") ?? 0, speed: speed,
                                    compresses: compresses)
                .run(channel)
        }
    }
}

/// Stamps records with microseconds since it was made and hands them on one at a time, in
/// time order: the clock of one tape.
public final class Recorder: Sendable {
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let state: Mutex<Int> = Mutex(0)
    private let sink: @Sendable (TapeRecord) -> Void

    public init(_ sink: @escaping @Sendable (TapeRecord) -> Void) {
        self.sink = sink
        start = clock.now
    }

    /// Microseconds since the recorder was made.
    public func now() -> UInt64 {
        let elapsed = clock.now - start
        return UInt64(elapsed.components.seconds) * 1_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000_000)
    }

    /// A new connection number, from 1.
    public func nextConnection() -> Int {
        state.withLock {
            $0 += 1
            return $0
        }
    }

    /// Builds a record with the current time and hands it on, under the recorder's lock so that
    /// records leave in time order.
    public func emit(_ make: (UInt64) -> TapeRecord) {
        state.withLock { _ in sink(make(now())) }
    }
}
