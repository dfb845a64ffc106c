import MockServers
import Synchronization
import Tape

/// A whole offline session in-process: the mock servers of a tape, and `TapeClient` playing
/// the tape's client side against them.
public enum OfflineReplay {
    /// What a replay gave besides its records.
    public struct Outcome: Sendable {
        /// The push server's report of each WebSocket session that was accepted.
        public var sessions: [SessionReport]
    }

    /// Ignore patterns (docs/diff.md) for what a replay's transcript changes on purpose next to
    /// `livetape decode` of the same tape: capture times, the signing and push servers' URLs
    /// (now on loopback), and the served fetch result's `push_server` and size.
    public static let movedFields = [
        "*.t_us", "http.url", "http.response_bytes", "fetch_result.fields.push_server", "ws_open.url", "connect.url",
    ]

    /// Starts the mocks (`configuration`'s `report` is chained, not replaced), runs the client,
    /// waits for the push server's session reports (at most `reportWait`), and stops the mocks.
    /// `record` gets every record of the client's tape, one call at a time. When the mocks serve
    /// TLS, the client trusts their certificate and appends its TLS secrets to `keyLogFile`.
    public static func run(tape: ServedTape, configuration: ReplayServers.Configuration, reportWait: Duration = .seconds(5), keyLogFile: String? = nil,
                           record: @escaping @Sendable (TapeRecord) -> Void) async throws -> Outcome {
        let reports = Mutex<[SessionReport]>([])
        let (arrivals, arrived) = AsyncStream<Void>.makeStream()
        var configuration = configuration
        let forward = configuration.report
        configuration.report = { report in
            forward(report)
            reports.withLock { $0.append(report) }
            arrived.yield()
        }
        let servers = try await ReplayServers.start(tape: tape, configuration: configuration)
        do {
            var client = TapeClient(tape: tape, speed: configuration.speed)
            client.tls = TLSOptions(caFile: configuration.tls?.certificateFile, keyLogFile: keyLogFile)
            try await client.run(signURL: servers.signURL, record: record)
        } catch {
            await servers.shutdown()
            throw error
        }
        let expected = tape.sessions.filter(\.wasAccepted).count
        let waiter = Task {
            for await _ in arrivals where reports.withLock({ $0.count }) >= expected { return }
        }
        let timer = Task {
            try? await Task.sleep(for: reportWait)
            waiter.cancel()
        }
        if reports.withLock({ $0.count }) < expected { await waiter.value }
        timer.cancel()
        waiter.cancel()
        await servers.shutdown()
        return Outcome(sessions: reports.withLock { $0 })
    }
}
