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
