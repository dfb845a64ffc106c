import Foundation
import JSONKit
import MockServers
import Synchronization
import Tape
import TapeClient
import Testing
import Transcript
import WebcastDecoder

let repoRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func fixture(_ name: String) -> String { repoRoot.appendingPathComponent("Fixtures/\(name)").path }

/// Collects a replay's records (the recorder serializes the calls).
final class Collected: Sendable {
    let records = Mutex<[TapeRecord]>([])
    func append(_ record: TapeRecord) { records.withLock { $0.append(record) } }
    var all: [TapeRecord] { records.withLock { $0 } }
}

/// Writes the `view` transcript of `records` (a tape with its header on line 1) to a file.
func writeTranscript(_ records: [TapeRecord], view: TranscriptView, to path: String) throws {
    var transcriber = TapeTranscriber(view: view)
    var out = CanonicalJSON.encode(transcriber.header) + [0x0A]
    for (offset, record) in records.enumerated() {
        for line in transcriber.records(for: record, line: offset + 2) { out += CanonicalJSON.encode(line) + [0x0A] }
    }
    try Data(out).write(to: URL(fileURLWithPath: path))
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("livetape-\(UUID().uuidString)-\(name)").path
}

@Suite(.timeLimit(.minutes(2))) struct ReplayTests {
    static let clientCount = 8

    /// The replay's transcript equals the golden (= `livetape decode`) of the same tape, but for
    /// what the mocks move on purpose.
    @Test(arguments: ["session-5min", "handshake-rejected", "corrupt-messages", "compress-none"])
    func replayTranscriptEqualsDecode(name: String) async throws {
        let tape = try ServedTape(path: fixture("\(name).tape"))
        let collected = Collected()
        let reports = Mutex<[SessionReport]>([])
        let outcome = try await OfflineReplay.run(
            tape: tape, configuration: .init(speed: .max, report: { report in reports.withLock { $0.append(report) } }),
            record: collected.append)
        #expect(outcome.sessions.count == tape.sessions.filter(\.wasAccepted).count)
        #expect(outcome.sessions.allSatisfy { $0.deviations.isEmpty }, "\(outcome.sessions.map(\.deviations))")
        #expect(reports.withLock { $0.count } == outcome.sessions.count, "the caller's report callback is chained")
        for view in [TranscriptView.wire, .events] {
            let path = temporaryPath("\(name).\(view).jsonl")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try writeTranscript(collected.all, view: view, to: path)
            let report = try TranscriptDiff.diff(expected: fixture("\(name).\(view.rawValue).golden.jsonl"), actual: path,
                                                 options: DiffOptions(ignore: IgnoreRules(OfflineReplay.movedFields)))
            #expect(report.changes.isEmpty, "\(name) \(view): \(report.changes.prefix(3).map(\.title))")
            #expect(report.summary.compared > 0)
        }
    }

    @Test func movedFieldsReallyMove() async throws {
        let tape = try ServedTape(path: fixture("session-5min.tape"))
        let collected = Collected()
        _ = try await OfflineReplay.run(tape: tape, configuration: .init(speed: .max), record: collected.append)
        let path = temporaryPath("moved.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writeTranscript(collected.all, view: .wire, to: path)
        let report = try TranscriptDiff.diff(expected: fixture("session-5min.wire.golden.jsonl"), actual: path,
                                             options: DiffOptions(ignore: IgnoreRules(["*.t_us"])))
        #expect(Set(report.changes.map(\.path)) == ["url", "response_bytes", "fields.push_server"])
    }

    @Test func concurrentClientsEachGetTheWholeReplay() async throws {
        let tape = try ServedTape(path: fixture("session-5min.tape"))
        let reports = Mutex<[SessionReport]>([])
        let servers = try await ReplayServers.start(tape: tape, configuration: .init(speed: .max, report: { r in reports.withLock { $0.append(r) } }))
        let recorded = tape.sessions[0].serverMessages.map(\.payload)
        try await withThrowingTaskGroup(of: [[UInt8]].self) { group in
            for _ in 0..<Self.clientCount {
                group.addTask {
                    let collected = Collected()
                    try await TapeClient(tape: tape).run(signURL: servers.signURL, record: collected.append)
                    return collected.all.compactMap { record in
                        if case .wsMessage(let m) = record, m.direction == .recv { m.payload.bytes } else { nil }
                    }
                }
            }
            var clients = 0
            for try await received in group {
                clients += 1
                #expect(received == recorded, "every frame, in order")
            }
            #expect(clients == Self.clientCount)
        }
        for _ in 0..<50 where reports.withLock({ $0.count }) < Self.clientCount { try await Task.sleep(for: .milliseconds(20)) }
        await servers.shutdown()
        let all = reports.withLock { $0 }
        #expect(all.count == Self.clientCount)
        #expect(all.allSatisfy { $0.framesSent == recorded.count && $0.deviations.isEmpty && $0.close?.by == .client })
    }

    @Test func aRecordedServerCloseIsReproducedWithItsCode() async throws {
        let full = try ServedTape(path: fixture("session-5min.tape"))
        let session = full.sessions[0]
        var records: [TapeRecord] = full.exchanges.map { .http($0) } + [.wsOpen(session.open)]
        for message in session.serverMessages.prefix(20) {
            records.append(.wsMessage(WebSocketMessage(timeMicros: session.open.timeMicros + message.offsetMicros, conn: session.open.conn,
                                                       direction: .recv, payload: Body(message.payload))))
        }
        records.append(.wsClose(WebSocketClose(timeMicros: session.open.timeMicros + 1, conn: session.open.conn, code: 4001, reason: "room closed", by: .server)))
        let collected = Collected()
        let outcome = try await OfflineReplay.run(tape: ServedTape(name: "server-close", records: records), configuration: .init(speed: .max),
                                                  record: collected.append)
        let closes = collected.all.compactMap { if case .wsClose(let c) = $0 { c } else { nil } }
        #expect(closes.count == 1)
        #expect(closes.first?.by == .server)
        #expect(closes.first?.code == 4001)
        #expect(closes.first?.reason == "room closed")
        #expect(outcome.sessions.first?.close?.by == .server)
    }

    @Test func aSessionWithoutRecordedClientMessagesGetsAGeneratedClient() async throws {
        let full = try ServedTape(path: fixture("session-5min.tape"))
        let session = full.sessions[0]
        let records: [TapeRecord] = full.exchanges.map { .http($0) } + [.wsOpen(session.open)]
            + session.serverMessages.map { .wsMessage(WebSocketMessage(timeMicros: session.open.timeMicros + $0.offsetMicros, conn: session.open.conn,
                                                                         direction: .recv, payload: Body($0.payload))) }
        let collected = Collected()
        let outcome = try await OfflineReplay.run(tape: ServedTape(name: "no-client-side", records: records),
                                                  configuration: .init(speed: .max), record: collected.append)
        let report = try #require(outcome.sessions.first)
        #expect(report.enterRooms == 1)
        #expect(report.heartbeats >= 1)
        #expect(report.acksExpected == 327 && report.acksReceived == 327, "an ack for every frame with need_ack")
        #expect(report.deviations.isEmpty, "\(report.deviations)")
    }

    @Test func recordedTimingIsKeptAtAGivenSpeed() async throws {
        let tape = try ServedTape(path: fixture("compress-none.tape"))
        let session = tape.sessions[0]
        let speed = 50.0
        let collected = Collected()
        _ = try await OfflineReplay.run(tape: tape, configuration: .init(speed: .factor(speed)), record: collected.append)
        let opened = try #require(collected.all.compactMap { if case .wsOpen(let o) = $0 { o.timeMicros } else { nil } }.first)
        let arrivals = collected.all.compactMap { if case .wsMessage(let m) = $0, m.direction == .recv { m.timeMicros - opened } else { nil } }
        #expect(arrivals.count == session.serverMessages.count)
        // No message may arrive before its recorded offset divided by the speed.
        for (arrival, recorded) in zip(arrivals, session.serverMessages) {
            #expect(Double(arrival) >= Double(recorded.offsetMicros) / speed - 1_000, "\(arrival) µs vs recorded \(recorded.offsetMicros) µs")
        }
    }

    @Test func recordedRefusalIsReplayedAndRecorded() async throws {
        let tape = try ServedTape(path: fixture("handshake-rejected.tape"))
        let collected = Collected()
        _ = try await OfflineReplay.run(tape: tape, configuration: .init(speed: .max), record: collected.append)
        let opens = collected.all.compactMap { if case .wsOpen(let o) = $0 { o } else { nil } }
        #expect(opens.count == 1)
        #expect(opens.first?.response?.status == 200)
        #expect(opens.first?.response?.headers.first { $0.name == "Handshake-Status" }?.value == "415")
        #expect(opens.first?.response?.headers.first { $0.name == "Handshake-Msg" }?.value == "DEVICE_BLOCKED")
    }
}

@Suite(.serialized, .timeLimit(.minutes(2))) struct BadInputTests {
    let tape: ServedTape
    init() throws { tape = try ServedTape(path: fixture("session-5min.tape")) }

    private func withServers(_ configuration: ReplayServers.Configuration = .init(speed: .max),
                             _ body: (ReplayServers, Int, Int) async throws -> Void) async throws {
        let servers = try await ReplayServers.start(tape: tape, configuration: configuration)
        let signPort = Int(servers.signURL.split(separator: ":").last!)!
        let pushPort = Int(servers.pushURL.split(separator: ":")[2].prefix { $0.isNumber })!
        do { try await body(servers, signPort, pushPort) } catch {
            await servers.shutdown()
            throw error
        }
        await servers.shutdown()
    }

    /// A well-behaved client still gets the whole replay.
    private func stillServes(_ servers: ReplayServers) async throws {
        let collected = Collected()
        try await TapeClient(tape: tape).run(signURL: servers.signURL, record: collected.append)
        let received = collected.all.filter { if case .wsMessage(let m) = $0 { m.direction == .recv } else { false } }.count
        #expect(received == tape.sessions[0].serverMessages.count)
    }

    @Test func malformedHTTPGets400() async throws {
        try await withServers { servers, signPort, _ in
            let raw = try RawConnection(port: signPort)
            raw.send("GARBAGE \u{1}\u{2} nonsense\r\n\r\n")
            #expect(String(decoding: await raw.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
            try await stillServes(servers)
        }
    }

    @Test func oversizedBodyGets413() async throws {
        let logs = Mutex<[String]>([])
        try await withServers(.init(speed: .max, maxBodyBytes: 1024, log: { line in logs.withLock { $0.append(line) } })) { servers, signPort, _ in
            let raw = try RawConnection(port: signPort)
            raw.send("POST /webcast/sign_url HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "a", count: 5000))
            #expect(String(decoding: await raw.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 413"))
            #expect(logs.withLock { $0 }.contains { $0.contains("413, body over 1024 bytes") })
            try await stillServes(servers)
        }
    }

    @Test(arguments: [("unmasked", 1002), ("reserved opcode", 1002), ("reserved bits", 1002), ("fragmented ping", 1002), ("oversized", 1009)])
    func badClientFramesAreClosedWithTheRightCode(name: String, code: Int) async throws {
        let frame = switch name {
        case "unmasked": webSocketFrame(opcode: 2, payload: [1, 2, 3], masked: false)
        case "reserved opcode": webSocketFrame(opcode: 3, payload: [1])
        case "reserved bits": webSocketFrame(opcode: 0x40 | 2, payload: [1])
        case "fragmented ping": [0x09] + webSocketFrame(opcode: 9, payload: [1]).dropFirst()
        default: webSocketFrame(opcode: 2, payload: [UInt8](repeating: 7, count: 4096))
        }
        try await withServers(.init(speed: .max, maxFrameBytes: 1024)) { servers, _, pushPort in
            let raw = try RawConnection(port: pushPort)
            raw.send(upgradeRequest("/webcast/im/push/v2/?room_id=7441523998651237126"))
            #expect(String(decoding: await raw.read(until: "\r\n\r\n"), as: UTF8.self).hasPrefix("HTTP/1.1 101"))
            raw.send(frame)
            let frames = await raw.readAll()
            let rest = [UInt8]("HTTP/1.1 101\r\n\r\n".utf8) + frames
            #expect(closeCode(in: rest) == code, "\(name)")
            try await stillServes(servers)
        }
    }

    @Test func clientThatDisconnectsMidReplayIsReportedAndOthersAreServed() async throws {
        let reports = Mutex<[SessionReport]>([])
        try await withServers(.init(speed: .factor(1), report: { r in reports.withLock { $0.append(r) } })) { servers, _, pushPort in
            do {
                let raw = try RawConnection(port: pushPort)
                raw.send(upgradeRequest("/webcast/im/push/v2/?room_id=7441523998651237126"))
                _ = await raw.read(until: "\r\n\r\n")
            }
            for _ in 0..<100 where reports.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(20)) }
            let report = try #require(reports.withLock { $0.first })
            #expect(report.close?.by == .abnormal)
            #expect(report.framesSent < report.framesRecorded)
            #expect(report.deviations.contains("no im_enter_room (the recorded client sent one)"))
        }
    }

    @Test func aBadFrameIsTheLastThingTheSessionSeesAndIsReportedAsTheServersClose() async throws {
        let reports = Mutex<[SessionReport]>([])
        try await withServers(.init(speed: .max, report: { r in reports.withLock { $0.append(r) } })) { _, _, pushPort in
            let raw = try RawConnection(port: pushPort)
            raw.send(upgradeRequest("/webcast/im/push/v2/?room_id=7441523998651237126"))
            raw.send(webSocketFrame(opcode: 2, payload: [1, 2, 3], masked: false))
            let received = await raw.readAll()
            let code = try #require(closeCode(in: received))
            #expect(code == 1002)
            let afterClose = try #require(framesAfterTheFirstClose(in: received))
            #expect(afterClose == 0, "nothing follows a close frame")
            for _ in 0..<100 where reports.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(20)) }
            let report = try #require(reports.withLock { $0.first })
            #expect(report.close?.by == .server)
            #expect(report.close?.code == 1002)
        }
    }

    @Test func aClientThatNeverFinishesItsHandshakeGets408() async throws {
        try await withServers(.init(speed: .max, handshakeTimeout: .milliseconds(300))) { servers, _, pushPort in
            let raw = try RawConnection(port: pushPort)
            raw.send("GET /webcast/im/push/v2/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
            #expect(String(decoding: await raw.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 408"))
            let silent = try RawConnection(port: pushPort)
            #expect(String(decoding: await silent.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 408"))
            try await stillServes(servers)
        }
    }

    /// The signing server closes a keep-alive connection left idle, and one stalled inside a
    /// request, after the idle timeout; an answer it delays longer than that still arrives.
    @Test func theSigningServerClosesIdleConnectionsButNotSlowAnswers() async throws {
        let slow = SigningOptions(faults: [Fault(kind: .slow(milliseconds: 900), count: 1)])
        try await withServers(.init(speed: .max, signing: slow, idleTimeout: .milliseconds(300))) { servers, signPort, _ in
            let started = ContinuousClock.now
            let answered = try RawConnection(port: signPort)
            let fetch = try #require(tape.exchanges.first { $0.request.url.contains("/webcast/fetch") }?.request.url)
            let target = try #require(fetch.range(of: "/webcast/").map { fetch[$0.lowerBound...] })
            answered.send("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = String(decoding: await answered.readAll(), as: UTF8.self)
            #expect(response.hasPrefix("HTTP/1.1 200"), "the delayed answer arrives")
            let stalled = try RawConnection(port: signPort)
            stalled.send("POST /webcast/sign_url HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
            #expect(await stalled.readAll().isEmpty)
            #expect(ContinuousClock.now - started < .seconds(10), "closed by the server, not by the read timeout")
            try await stillServes(servers)
        }
    }

    @Test func plainRequestToThePushServerGets426() async throws {
        try await withServers { _, _, pushPort in
            let raw = try RawConnection(port: pushPort)
            raw.send("GET /webcast/im/push/v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(String(decoding: await raw.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 426"))
        }
    }
}
