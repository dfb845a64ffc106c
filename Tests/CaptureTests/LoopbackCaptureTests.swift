import Foundation
import MockServers
import Capture
import Tape
import TapeClient
import Testing

/// `tcpdump` on the loopback interface for the duration of a body.
func withLoopbackCapture(ports: [Int], _ body: () async throws -> Void) async throws -> String {
    let path = temporaryCapture()
    let tcpdump = Process()
    tcpdump.executableURL = URL(fileURLWithPath: "/usr/bin/tcpdump")
    tcpdump.arguments = ["-i", "lo", "-U", "-B", "32768", "-s", "0", "-w", path] + ports.map { "tcp port \($0)" }.joined(separator: " or ").split(separator: " ").map(String.init)
    tcpdump.standardOutput = FileHandle.nullDevice
    tcpdump.standardError = FileHandle.nullDevice
    try tcpdump.run()
    // tcpdump creates the file once the capture is active.
    for _ in 0..<200 where !FileManager.default.fileExists(atPath: path) {
        try await Task.sleep(for: .milliseconds(25))
    }
    try await body()
    try await Task.sleep(for: .milliseconds(300))
    // tcpdump may only notice a signal with its next packet; with -U every packet is already
    // in the file, so a kill loses nothing.
    kill(tcpdump.processIdentifier, SIGTERM)
    for _ in 0..<40 where tcpdump.isRunning { try await Task.sleep(for: .milliseconds(25)) }
    if tcpdump.isRunning { kill(tcpdump.processIdentifier, SIGKILL) }
    return path
}

@Suite(.timeLimit(.minutes(2))) struct LoopbackCaptureTests {
    /// A capture of `livetape serve`'s traffic (its mocks, a replaying client), imported, carries
    /// exactly the messages of the tape that was served.
    @Test func aCaptureOfTheMockServersCarriesTheServedTape() async throws {
        let tape = try ServedTape(path: fixtures.appendingPathComponent("session-5min.tape").path)
        let servers = try await ReplayServers.start(tape: tape, configuration: .init(speed: .max))
        let ports = [servers.signURL, servers.pushURL].map { Int($0.split(separator: ":")[2].prefix { $0.isNumber })! }
        let capture = try await withLoopbackCapture(ports: ports) {
            try await TapeClient(tape: tape).run(signURL: servers.signURL) { _ in }
        }
        await servers.shutdown()
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let (records, summary, readError) = try CaptureImporter.importFile(capture)
        #expect(readError == nil)
        #expect(summary.gaps == 0 && summary.unparsed == [] && summary.webSocketSessions == 1 && summary.exchanges == 1, "\(summary)")
        let received = records.compactMap { if case .wsMessage(let m) = $0, m.direction == .recv { m.payload.bytes } else { nil } }
        #expect(received == tape.sessions[0].serverMessages.map(\.payload))
        let sent = records.compactMap { if case .wsMessage(let m) = $0, m.direction == .send { m.payload.bytes } else { nil } }
        #expect(sent == tape.sessions[0].clientMessages.map(\.payload))
        let fetch = records.compactMap { if case .http(let e) = $0 { e } else { nil } }.first
        #expect(fetch?.response?.status == 200)
    }
}
