import NIOCore
import NIOPosix
import NIOSSL
import Tape

/// A certificate and key for serving https and wss.
public struct ServerTLS: Sendable, Hashable {
    /// PEM file with the certificate chain, leaf first.
    public var certificateFile: String
    /// PEM file with the private key.
    public var keyFile: String

    public init(certificateFile: String, keyFile: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    func context() throws -> NIOSSLContext {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)))
        return try NIOSSLContext(configuration: configuration)
    }
}

extension Optional where Wrapped == NIOSSLContext {
    /// Puts a TLS server handler in front of `channel`'s pipeline when there is a context.
    func secure(_ channel: any Channel) throws {
        guard let context = self else { return }
        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
    }
}

/// The mock signing server and the mock push server, running in-process on loopback and
/// playing back one tape. Start them with `start`, point a client at `signURL`, stop them with
/// `shutdown`. Every served fetch result's `push_server` points at `pushURL`.
public final class ReplayServers: Sendable {
    public struct Configuration: Sendable {
        /// Address both servers listen on.
        public var host: String
        /// Ports; 0 picks a free one.
        public var signPort: Int
        public var pushPort: Int
        public var speed: ReplaySpeed
        public var signing: SigningOptions
        /// Serve https and wss with this certificate instead of plain http and ws.
        public var tls: ServerTLS?
        /// Largest request body the signing server reads (413 above).
        public var maxBodyBytes: Int
        /// Largest WebSocket message the push server reads from a client (close 1009 above).
        public var maxFrameBytes: Int
        /// How long the push server waits for a client's complete upgrade request (408 after).
        public var handshakeTimeout: Duration
        /// How long the signing server keeps a connection on which the client sends nothing:
        /// idle between keep-alive requests, or stalled inside one.
        public var idleTimeout: Duration
        /// Receives one line per notable event (near misses, faults, protocol errors, sessions).
        public var log: @Sendable (String) -> Void
        /// Receives the report of every finished push session.
        public var report: @Sendable (SessionReport) -> Void

        public init(host: String = "127.0.0.1", signPort: Int = 0, pushPort: Int = 0, speed: ReplaySpeed = .factor(1),
                    signing: SigningOptions = SigningOptions(), tls: ServerTLS? = nil, maxBodyBytes: Int = 1 << 20, maxFrameBytes: Int = 1 << 20,
                    handshakeTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
                    log: @escaping @Sendable (String) -> Void = { _ in }, report: @escaping @Sendable (SessionReport) -> Void = { _ in }) {
            self.host = host
            self.signPort = signPort
            self.pushPort = pushPort
            self.speed = speed
            self.signing = signing
            self.tls = tls
            self.maxBodyBytes = maxBodyBytes
            self.maxFrameBytes = maxFrameBytes
            self.handshakeTimeout = handshakeTimeout
            self.idleTimeout = idleTimeout
            self.log = log
            self.report = report
        }
    }

    /// Base URL of the signing API, e.g. `http://127.0.0.1:40001`.
    public let signURL: String
    /// URL of the push server, e.g. `ws://127.0.0.1:40002/webcast/im/push/v2/` (the path of the
    /// tape's first WebSocket session; any path is served).
    public let pushURL: String
    /// The signing service answering on `signURL`.
    public let signing: SigningService
    private let listeners: Listeners

    /// Binds both servers and starts serving. Throws when a port cannot be bound.
    public static func start(tape: ServedTape, configuration: Configuration) async throws -> ReplayServers {
        let group = MultiThreadedEventLoopGroup.singleton
        let tls = try configuration.tls?.context()
        let secure = tls != nil
        let push = PushWebSocketServer(
            tape: tape,
            settings: .init(speed: configuration.speed, rules: configuration.signing.rules, maxFrameBytes: configuration.maxFrameBytes,
                            handshakeTimeout: configuration.handshakeTimeout),
            log: configuration.log, report: configuration.report)
        let pushChannel = try await push.bind(host: configuration.host, port: configuration.pushPort, group: group, tls: tls)
        let pushPath = tape.sessions.first.map { IncomingRequest(method: "GET", target: $0.open.url).path } ?? "/"
        let pushURL = "\(secure ? "wss" : "ws")://\(Listeners.authority(configuration.host, pushChannel.channel.localAddress?.port))\(pushPath)"

        var signingOptions = configuration.signing
        signingOptions.pushServerURL = signingOptions.pushServerURL ?? pushURL
        let signing = SigningService(tape: tape, options: signingOptions)
        let signChannel: NIOAsyncChannel<SigningHTTPServer.Connection, Never>
        do {
            signChannel = try await SigningHTTPServer.bind(host: configuration.host, port: configuration.signPort, group: group, tls: tls,
                                                            idleTimeout: configuration.idleTimeout)
        } catch {
            try? await pushChannel.channel.close()
            throw error
        }
        let signURL = "\(secure ? "https" : "http")://\(Listeners.authority(configuration.host, signChannel.channel.localAddress?.port))"

        let maxBody = configuration.maxBodyBytes
        let log = configuration.log
        let tasks = [
            Task {
                await acceptConnections(on: pushChannel, name: "push", log: log) { await push.serve($0) }
            },
            Task {
                await acceptConnections(on: signChannel, name: "signing", log: log) {
                    await SigningHTTPServer.serve($0, service: signing, maxBodyBytes: maxBody, log: log)
                }
            },
        ]
        return ReplayServers(signURL: signURL, pushURL: pushURL, signing: signing,
                             listeners: Listeners(channels: [pushChannel.channel, signChannel.channel], tasks: tasks))
    }

    private init(signURL: String, pushURL: String, signing: SigningService, listeners: Listeners) {
        self.signURL = signURL
        self.pushURL = pushURL
        self.signing = signing
        self.listeners = listeners
    }

    /// Stops listening and ends every open connection.
    public func shutdown() async {
        await listeners.shutdown()
    }
}

/// Listening channels and the tasks accepting on them, stopped together.
public struct Listeners: Sendable {
    let channels: [any Channel]
    let tasks: [Task<Void, Never>]

    public init(channels: [any Channel], tasks: [Task<Void, Never>]) {
        self.channels = channels
        self.tasks = tasks
    }

    /// Closes the listeners, then cancels and awaits the accepting tasks (and so every
    /// connection they serve).
    public func shutdown() async {
        for channel in channels { try? await channel.close() }
        for task in tasks {
            task.cancel()
            await task.value
        }
    }

    /// `host:port` as a URL writes it (`[::1]:8080` for IPv6).
    public static func authority(_ host: String, _ port: Int?) -> String {
        (host.contains(":") ? "[\(host)]" : host) + ":\(port ?? 0)"
    }
}

extension ServerBootstrap {
    /// How the mocks and the recording proxy listen: SO_REUSEADDR, a listen backlog of 1,024
    /// (with NIO's 128, a burst of clients overflows the queue and the dropped ones retry only
    /// after a second), TCP_NODELAY on every accepted connection.
    public static func listener(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
    }
}

/// Serves every connection accepted on `listener` in its own child task until the listener
/// closes or the task is cancelled; `name` and `log` report why a listener stopped.
public func acceptConnections<Connection: Sendable>(
    on listener: NIOAsyncChannel<Connection, Never>, name: String, log: @escaping @Sendable (String) -> Void,
    serve: @escaping @Sendable (Connection) async -> Void
) async {
    do {
        try await withThrowingDiscardingTaskGroup { tasks in
            try await listener.executeThenClose { inbound in
                for try await connection in inbound {
                    tasks.addTask { await serve(connection) }
                }
            }
        }
    } catch is CancellationError {
        return
    } catch {
        log("\(name) listener stopped: \(error)")
    }
}
