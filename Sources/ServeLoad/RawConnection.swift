import NIOCore
import NIOPosix

/// A loopback TCP client that sends and reads raw bytes: the clients no WebSocket library would
/// be. Reading is driven by the caller, so a caller that reads slowly makes TCP push back.
struct RawConnection {
    private let channel: any Channel
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    /// Everything read so far.
    private(set) var received: [UInt8] = []
    /// Whether the server closed the connection (or it was closed at the deadline).
    private(set) var ended = false

    /// Connects to `host`:`port`, runs `body` and closes the connection; it is closed at
    /// `deadline` whatever `body` does. With `slowReads`, each read takes at most 32 bytes and
    /// the socket's receive buffer is 4 KiB.
    static func run<Result: Sendable>(host: String, port: Int, deadline: ContinuousClock.Instant, slowReads: Bool = false,
                                      _ body: (inout RawConnection) async throws -> Result) async throws -> Result {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if slowReads {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: 4096)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32))
        }
        let inboundBuffer: NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark =
            slowReads ? .init(lowWatermark: 1, highWatermark: 1) : .init(lowWatermark: 2, highWatermark: 10)
        let channel = try await bootstrap.connect(host: host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel,
                                                            configuration: .init(backPressureStrategy: inboundBuffer))
            }
        }
        let remaining = ContinuousClock.now.duration(to: deadline)
        channel.channel.eventLoop.scheduleTask(in: TimeAmount(max(remaining, .zero))) { channel.channel.close(promise: nil) }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = RawConnection(channel: channel.channel, inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }

    private init(channel: any Channel, inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.channel = channel
        self.inbound = inbound
        self.outbound = outbound
    }

    mutating func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Reads what is there (waiting for something); false once the connection has ended.
    mutating func readSome() async throws -> Bool {
        guard !ended else { return false }
        do {
            if let chunk = try await inbound.next() {
                received += chunk.readableBytesView
                return true
            }
        } catch let error as IOError where error.errnoCode == ECONNRESET {
            // A reset ends the connection like an EOF.
        }
        ended = true
        return false
    }

    /// Reads until `enough(received)` holds or the connection ends.
    mutating func read(until enough: ([UInt8]) -> Bool) async throws {
        while !enough(received), try await readSome() {}
    }

    /// Reads until the connection ends.
    mutating func readToEnd() async throws {
        while try await readSome() {}
    }

    /// Makes the close that ends `run` a reset (RST, SO_LINGER 0) instead of a FIN.
    func resetOnClose() async throws {
        guard let socket = channel as? any SocketOptionProvider else { throw ChannelError.operationUnsupported }
        try await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
    }
}
