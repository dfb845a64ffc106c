import Foundation
import LiveTapeTesting
import Synchronization
import Tape
import TapeClient
import Testing

let fixtures = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// Counts what a client received (calls are serialized by the client's recorder).
final class Received: Sendable {
    let messages = Mutex(0)
}

@Suite(.timeLimit(.minutes(2))) struct LiveTapeMocksTests {
    @Test func aSwiftClientRunsAgainstTheMocksOfATape() async throws {
        let path = fixtures.appendingPathComponent("session-5min.tape").path
        let received = Received()
        let reports = try await LiveTapeMocks.with(tape: path) { mocks in
            #expect(mocks.signURL.hasPrefix("http://127.0.0.1:"))
            #expect(mocks.pushURL.hasPrefix("ws://127.0.0.1:"))
            try await TapeClient(tape: try ServedTape(path: path)).run(signURL: mocks.signURL) { record in
                if case .wsMessage(let m) = record, m.direction == .recv { received.messages.withLock { $0 += 1 } }
            }
            for _ in 0..<100 where mocks.sessionReports.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            return mocks.sessionReports
        }
        #expect(received.messages.withLock { $0 } == 2001)
        #expect(reports.count == 1)
        #expect(reports.first?.deviations == [])
    }

    @Test func mocksStopAfterTheBody() async throws {
        let path = fixtures.appendingPathComponent("compress-none.tape").path
        let url = try await LiveTapeMocks.with(tape: path) { $0.signURL }
        let port = Int(url.split(separator: ":").last!)!
        let failure = Mutex<String?>(nil)
        try await TapeClient(tape: ServedTape(name: "empty", records: [])).run(signURL: "http://127.0.0.1:\(port)") { record in
            if case .http(let exchange) = record { failure.withLock { $0 = exchange.error } }
        }
        #expect(failure.withLock { $0 } != nil, "the connection is refused once the mocks stopped")
    }

    @Test func aTapeWithABadRecordIsRefused() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("torn-\(UUID().uuidString).tape").path
        let good = try String(contentsOfFile: fixtures.appendingPathComponent("compress-none.tape").path, encoding: .utf8)
        try (good + "{\"t_us\":1,\"kind\":\"ws_mess").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        await #expect(throws: TapeError.self) {
            try await LiveTapeMocks.with(tape: path) { _ in }
        }
    }
}
