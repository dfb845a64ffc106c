import MockServers
import NIOCore
import Synchronization
import Tape
import TapeClient

/// A recording proxy: an HTTP listener in front of the signing service and a WebSocket listener
/// in front of the push server, writing every exchange and message to a tape as it happens.
/// Fetch answers are rewritten so that a client following their `push_server` comes through the
/// WebSocket listener; the tape keeps the original.
public final class RecordingProxy: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var signPort: Int
        public var pushPort: Int
        /// The signing service, `http://host[:port][/prefix]`.
        public var signUpstream: String
        /// The push server to relay to; nil relays to the one the last fetch answer named.
        public var wsUpstream: String?
        /// How https and wss upstreams are checked.
        public var tls: TLSOptions
        public var maxBodyBytes: Int
        public var maxFrameBytes: Int
        public var log: @Sendable (String) -> Void

        public init(host: String = "127.0.0.1", signPort: Int = 0, pushPort: Int = 0, signUpstream: String, wsUpstream: String? = nil,
                    tls: TLSOptions = TLSOptions(), maxBodyBytes: Int = 1 << 20, maxFrameBytes: Int = 16 << 20, log: @escaping @Sendable (String) -> Void = { _ in }) {
            self.host = host
            self.signPort = signPort
            self.pushPort = pushPort
            self.signUpstream = signUpstream
            self.wsUpstream = wsUpstream
            self.tls = tls
            self.maxBodyBytes = maxBodyBytes
            self.maxFrameBytes = maxFrameBytes
            self.log = log
        }
    }

    /// Where clients send signing requests, e.g. `http://127.0.0.1:40001`.
    public let signURL: String
    /// The WebSocket listener, as written into fetch answers.
    public let pushURL: String
    private let state: ProxyState
    private let listeners: Listeners

    /// Recorded so far: HTTP exchanges, WebSocket messages, WebSocket sessions open now.
    public var counts: (exchanges: Int, messages: Int, openSessions: Int) {
        (state.exchanges.load(ordering: .relaxed), state.messages.load(ordering: .relaxed), state.openSessions.load(ordering: .relaxed))
    }

    /// A recorder that redacts every record with `redactor` (one per tape, so that a secret keeps
    /// its placeholder) and appends it to `writer`; `failed` hears of write errors.
    public static func recorder(writing writer: TapeWriter, redactor: Redactor, failed: @escaping @Sendable (TapeError) -> Void) -> Recorder {
        let redactor = Mutex(redactor)
        return Recorder { record in
            let redacted = redactor.withLock { $0.redact(record) }
            do throws(TapeError) { try writer.append(redacted) } catch { failed(error) }
        }
    }

    /// Binds both listeners; every record goes to `recorder`.
    public static func start(configuration: Configuration, recorder: Recorder) async throws -> RecordingProxy {
        guard let upstream = ClientURL(configuration.signUpstream), upstream.scheme.hasPrefix("http") else {
            throw ClientError.badURL(configuration.signUpstream)
        }
        let state = ProxyState(recorder: recorder, log: configuration.log)
        let relay = WebSocketRelay(fixedUpstream: configuration.wsUpstream, maxFrameBytes: configuration.maxFrameBytes, tls: configuration.tls, state: state)
        let pushChannel = try await relay.bind(host: configuration.host, port: configuration.pushPort)
        let pushURL = "ws://\(Listeners.authority(configuration.host, pushChannel.channel.localAddress?.port))/webcast/im/push/v2/"
        let signChannel: NIOAsyncChannel<SigningForwarder.Connection, Never>
        do {
            signChannel = try await SigningForwarder.bind(host: configuration.host, port: configuration.signPort)
        } catch {
            try? await pushChannel.channel.close()
            throw error
        }
        let forwarder = SigningForwarder(upstream: upstream, pushListenerURL: pushURL, maxBodyBytes: configuration.maxBodyBytes,
                                         tls: configuration.tls, state: state)
        let log = configuration.log
        let tasks = [
            Task { await acceptConnections(on: pushChannel, name: "WebSocket", log: log) { await relay.serve($0) } },
            Task { await acceptConnections(on: signChannel, name: "signing", log: log) { await forwarder.serve($0) } },
        ]
        return RecordingProxy(signURL: "http://\(Listeners.authority(configuration.host, signChannel.channel.localAddress?.port))", pushURL: pushURL,
                              state: state, listeners: Listeners(channels: [pushChannel.channel, signChannel.channel], tasks: tasks))
    }

    private init(signURL: String, pushURL: String, state: ProxyState, listeners: Listeners) {
        self.signURL = signURL
        self.pushURL = pushURL
        self.state = state
        self.listeners = listeners
    }

    /// Stops listening and ends the sessions in flight; each gets its close record.
    public func shutdown() async {
        await listeners.shutdown()
    }
}
