import FixtureSynth
import Foundation
import Tape
import Testing
import WebcastProto

let fixtureNames = ["session-5min", "handshake-rejected", "compress-none", "corrupt-messages"]

@Suite("Scenarios and determinism")
struct ScenarioAndDeterminismTests {
    @Test("session-5min.json decodes to exactly Scenario.demo")
    func demoMatchesFile() throws {
        #expect(try scenario("session-5min") == Scenario.demo)
    }

    @Test("Scenario JSON round-trips through its Codable form")
    func codableRoundTrip() throws {
        for name in fixtureNames {
            let original = try scenario(name)
            let data = try JSONEncoder().encode(original)
            #expect(try Scenario.decode(json: data) == original, "\(name)")
        }
        let text = String(decoding: try JSONEncoder().encode(Scenario.demo), as: UTF8.self)
        #expect(text.contains("\"room_id\":\"7441523998651237126\""), "64-bit ids are written as strings")
    }

    @Test("Missing keys take the documented defaults")
    func defaults() throws {
        let s = try Scenario.decode(json: Data(#"{"name":"x","seed":7}"#.utf8))
        #expect(s == Scenario(name: "x", seed: 7))
        #expect(s.serverFrames == 2000 && s.durationSeconds == 300 && s.compressType == "gzip")
        #expect(s.heartbeatIntervalSeconds == 10 && s.streamEnd && s.defects.isEmpty && s.handshakeRejection == nil)
    }

    @Test("Bad JSON is reported with its position; bad values name the key")
    func errors() throws {
        do {
            _ = try Scenario.decode(json: Data("{\n  \"name\": \"x\",\n  \"seed\": ?\n}".utf8), source: "bad.json")
            Issue.record("malformed JSON was accepted")
        } catch {
            let text = error.description
            #expect(text.hasPrefix("bad.json: invalid scenario JSON"))
            #expect(text.contains("line 3"), "position missing: \(text)")
        }
        #expect(throws: ScenarioError.self) { try Scenario.decode(json: Data(#"{"name":"x","seed":1,"compress_type":"zstd"}"#.utf8)) }
        #expect(throws: ScenarioError.self) { try Scenario.decode(json: Data(#"{"name":"x","seed":1,"defects":["nope"]}"#.utf8)) }
        #expect(throws: ScenarioError.self) { try Scenario.decode(json: Data(#"{"name":"x","seed":1,"room_id":7441523998651237126}"#.utf8)) }
        #expect(throws: ScenarioError.self) { try Scenario.decode(json: Data(#"{"seed":1}"#.utf8)) }
        do {
            _ = try Scenario.decode(json: Data(#"{"name":"x","seed":1,"server_frames":0}"#.utf8))
            Issue.record("server_frames 0 was accepted")
        } catch {
            #expect(error.description.contains("server_frames"))
        }
        do {
            _ = try Scenario.load(path: "/nonexistent/scenario.json")
            Issue.record("missing file was accepted")
        } catch {
            #expect(error.description.contains("/nonexistent/scenario.json"))
        }
    }

    @Test("Synthesizing twice gives identical bytes")
    func deterministic() throws {
        let a = Synthesizer.tape(for: Scenario.demo)
        let b = Synthesizer.tape(for: Scenario.demo)
        #expect(a.count > 1_000_000)
        #expect(a == b)
        var other = Scenario.demo
        other.seed += 1
        #expect(Synthesizer.tape(for: other) != a, "the seed must matter")
    }

    @Test("Committed tapes equal a fresh synthesis of their scenario", arguments: fixtureNames)
    func committedFixtures(name: String) throws {
        let fresh = Synthesizer.tape(for: try scenario(name))
        let committed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixturePath("Fixtures/\(name).tape"))))
        #expect(fresh.count == committed.count, "Fixtures/\(name).tape is stale: run tools/regen-fixtures")
        #expect(fresh == committed, "Fixtures/\(name).tape is stale: run tools/regen-fixtures")
    }

    @Test("write(_:to:) writes the tape atomically and validates first")
    func writeFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fixturesynth-\(getpid()).tape").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try scenario("compress-none")
        try Synthesizer.write(s, to: path)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == Synthesizer.tape(for: s))
        var bad = s
        bad.compressType = "br"
        #expect(throws: ScenarioError.self) { try Synthesizer.write(bad, to: path) }
    }

    @Test("records(for:) clamps out-of-range values instead of trapping")
    func clamps() throws {
        let s = Scenario(name: "tiny", seed: 1, durationSeconds: -5, serverFrames: 0, heartbeatIntervalSeconds: 0, needAckRatio: 7, users: 0)
        let tape = try ParsedTape(bytes: Synthesizer.tape(for: s))
        #expect(tape.received.count == 3, "im_enter_room_resp + the minimum of two msg frames")
        #expect(tape.sent.filter { $0.frame.payloadType == "ack" }.count == 2, "need_ack_ratio clamped to 1")
        #expect(tape.closes.count == 1 && tape.closes[0].code == 1000)
    }

    @Test("stream_end false: no control action 3, streaks still closed, client closes with 1000")
    func noStreamEnd() throws {
        let s = Scenario(name: "no-end", seed: 99, durationSeconds: 30, serverFrames: 120, streamEnd: false, enterRoomResponse: false)
        let tape = try ParsedTape(bytes: Synthesizer.tape(for: s))
        #expect(tape.received.count == 120 && tape.received.first?.frame.payloadType == "msg")
        var openStreaks = Set<Int64>()
        for (_, m) in try innerMessages(tape) {
            if m.method == "WebcastControlMessage" {
                #expect(try WebcastControlMessage(serializedBytes: m.payload).action != 3)
            }
            if m.method == "WebcastGiftMessage" {
                let gift = try WebcastGiftMessage(serializedBytes: m.payload)
                if gift.repeatEnd == 1 { openStreaks.remove(gift.groupID) } else { openStreaks.insert(gift.groupID) }
            }
        }
        #expect(openStreaks.isEmpty, "every streak ends")
        #expect(tape.closes.count == 1 && tape.closes[0].code == 1000 && tape.closes[0].by == .client)
    }

    @Test("Tape header: synth source, created from the scenario, redacted names")
    func header() {
        let (header, records) = Synthesizer.records(for: Scenario.demo)
        #expect(header.source.kind == "synth")
        #expect(header.created == Scenario.demo.created)
        #expect(header.redacted == ["x-api-key", "cookie:ttwid", "cookie:tt_csrf_token"])
        var last: UInt64 = 0
        for record in records {
            #expect(record.timeMicros >= last, "t_us must not decrease")
            last = record.timeMicros
        }
    }
}
