import Foundation
import JSONKit
import Testing

@Suite struct InspectCommandTests {
    private func inspect(_ tape: String) throws -> JSONValue {
        let run = try CLI.run(["inspect", "Fixtures/\(tape).tape", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        return try JSONParser.parse(run.stdout.trimmingCharacters(in: .newlines))
    }

    @Test func protocolChangesShowUp() throws {
        let report = try inspect("corrupt-messages")
        let frames = try #require(report["frames"])
        #expect(frames["unknown_methods"] == ["WebcastFancyNewMessage"])
        #expect(frames["unknown_fields"]?.arrayValue?.first?["path"] == "WebcastChatMessage.user.77")
        #expect(frames["unknown_fields"]?.arrayValue?.first?["wire_type"] == 2)
        #expect(frames["compress_type"]?["br"] == 1)
        let banner = frames["decode_errors"]?.arrayValue?.first { $0["method"] == "WebcastInRoomBannerMessage" }
        #expect(banner?["count"] == 1)
        #expect(banner?["example"]?.stringValue?.contains("illegal wire type 6 for field 13") == true)
        #expect(report["client"]?["need_ack_without_internal_ext"] == 1)
    }

    @Test func clientBehaviourAndHandshake() throws {
        let report = try inspect("session-5min")
        #expect(report["client"]?["acks"] == 327)
        #expect(report["client"]?["frames_with_need_ack"] == 327)
        #expect(report["client"]?["heartbeat_interval_ms"]?.intValue.map { (9_000...11_000).contains($0) } == true)
        #expect(report["handshakes"]?.arrayValue?.first?["handshake_options"] == "ping-interval=10")
        #expect(report["signing"]?.arrayValue?.first?["push_server"] == "wss://webcast16-ws-useast1a.tiktok.com/webcast/im/push/v2/")
        #expect(report["signing"]?.arrayValue?.first?["cookies_set"] == ["ttwid", "tt_csrf_token", "tt-target-idc"])
        #expect(report["frames"]?["methods"]?["WebcastChatMessage"] == 1359)
    }

    @Test func aRefusedHandshakeAndTheTextView() throws {
        let report = try inspect("handshake-rejected")
        #expect(report["handshakes"]?.arrayValue?.first?["handshake_status"] == "415")
        let text = try CLI.run(["inspect", "Fixtures/handshake-rejected.tape"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("→ 200, handshake-status 415, handshake-msg DEVICE_BLOCKED"))
        #expect(try CLI.run(["inspect", "no-such-file"]).status == 2)
    }
}

@Suite struct CompareCommandTests {
    @Test func aCaptureComparedWithItselfHasNoChanges() throws {
        let run = try CLI.run(["compare", "Fixtures/session-5min.tape", "Fixtures/session-5min.tape"])
        #expect(run.status == 0)
        #expect(run.stdout == "no protocol changes\n")
    }

    @Test func aRefusedHandshakeComesFirst() throws {
        let run = try CLI.run(["compare", "Fixtures/session-5min.tape", "Fixtures/handshake-rejected.tape"])
        #expect(run.status == 1)
        #expect(run.stdout.hasPrefix("handshake: status: 101 (none) → 200 415 DEVICE_BLOCKED\n"))
    }

    @Test func breakingChangesAreRankedBeforeTheRest() throws {
        let run = try CLI.run(["compare", "Fixtures/compress-none.tape", "Fixtures/corrupt-messages.tape", "--format", "json"])
        #expect(run.status == 1)
        let changes = try #require(try JSONParser.parse(run.stdout.trimmingCharacters(in: .newlines)).arrayValue)
        #expect(changes.first?["kind"] == "decode errors appeared")
        let ranks = changes.compactMap { $0["rank"]?.intValue }
        #expect(ranks == ranks.sorted(by: >))
        #expect(changes.contains { $0["kind"] == "compress_type appeared" && $0["subject"] == "br" })
        #expect(changes.contains { $0["kind"] == "unknown method appeared" && $0["subject"] == "WebcastFancyNewMessage" })
        #expect(changes.contains { $0["kind"] == "unknown field appeared" && $0["subject"] == "WebcastChatMessage.user.77" })
        #expect(changes.contains { $0["kind"] == "need_ack without internal_ext" })
    }
}
