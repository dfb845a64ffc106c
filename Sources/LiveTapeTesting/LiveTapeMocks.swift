@_exported import MockServers
import Synchronization
import Tape

/// LiveTape's mock signing and push servers for a Swift client's own test suite: started
/// in-process from a tape on loopback, handed to the test body, stopped after it.
///
/// ```swift
/// @Test func clientSeesEveryComment() async throws {
///     try await LiveTapeMocks.with(tape: "Fixtures/session-5min.tape") { mocks in
///         let client = MyWebcastClient(signingService: mocks.signURL)
///         try await client.runUntilStreamEnds()
///         #expect(client.comments.count == 1359)
///         #expect(mocks.sessionReports.allSatisfy { $0.deviations.isEmpty })
///     }
/// }
/// ```
public final class LiveTapeMocks: Sendable {
    /// Base URL of the mock signing service (EulerStream's API), e.g. `http://127.0.0.1:40001`.
    public let signURL: String
    /// URL of the mock push server; served fetch results point here already.
    public let pushURL: String
    /// The local signing server's endpoint (`POST /api/eulerstream`).
    public var eulerstreamURL: String { signURL + "/api/eulerstream" }
    /// Every log line of the servers so far (near misses, faults, session summaries).
    public var log: [String] { sink.lines.withLock { $0 } }
    /// The report of every push session that ended so far.
    public var sessionReports: [SessionReport] { sink.reports.withLock { $0 } }

    private final class Sink: Sendable {
        let lines = Mutex<[String]>([])
        let reports = Mutex<[SessionReport]>([])
    }

    private let sink: Sink

    private init(signURL: String, pushURL: String, sink: Sink) {
        self.signURL = signURL
        self.pushURL = pushURL
        self.sink = sink
    }

    /// Serves the tape at `path` for the duration of `body`. `speed`, `signing` and the limits
    /// are those of `livetape serve`; logs and reports are collected on the handed object.
    /// Throws the tape's first unreadable record: a test should not run on half a tape.
    public static func with<T: Sendable>(
        tape path: String, speed: ReplaySpeed = .max, signing: SigningOptions = SigningOptions(),
        _ body: (LiveTapeMocks) async throws -> T
    ) async throws -> T {
        let tape = try ServedTape(path: path)
        if let problem = tape.problems.first { throw problem.error }
        let sink = Sink()
        let servers = try await ReplayServers.start(
            tape: tape,
            configuration: .init(speed: speed, signing: signing,
                                 log: { line in sink.lines.withLock { $0.append(line) } },
                                 report: { report in sink.reports.withLock { $0.append(report) } }))
        let mocks = LiveTapeMocks(signURL: servers.signURL, pushURL: servers.pushURL, sink: sink)
        do {
            let result = try await body(mocks)
            await servers.shutdown()
            return result
        } catch {
            await servers.shutdown()
            throw error
        }
    }
}
