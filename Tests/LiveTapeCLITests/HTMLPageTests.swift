import Foundation
import JSONKit
import SwiftProtobuf
import Tape
import Testing
import WebcastProto

/// The `--html` pages, rendered by headless Chromium: a screenshot that is not blank, and the
/// DOM holding the expected tables and rows. One browser at a time: it is heavy on two cores,
/// and the loopback tests running beside it keep their timing.
@Suite(.serialized, .enabled(if: Chromium.path != nil, "chromium is not installed: tools/setup installs it (apt-get install chromium)"))
struct HTMLPageTests {
    /// Writes the page of `arguments` (an inspect or compare command line) and returns its file.
    private func page(_ arguments: [String]) throws -> URL {
        let file = try CLI.temporaryDirectory().appendingPathComponent("page.html")
        let run = try CLI.run(arguments + ["--html", file.path])
        #expect(run.status != 2, "\(run.stderr)")
        return file
    }

    @Test func theInspectPageShowsEveryMethodWithItsCount() throws {
        let report = try JSONParser.parse(try CLI.run(["inspect", "Fixtures/corrupt-messages.tape", "--format", "json"]).stdout
            .trimmingCharacters(in: .newlines))
        let dom = try Chromium.dom(of: try page(["inspect", "Fixtures/corrupt-messages.tape"]))
        for id in ["summary", "timeline", "methods", "unknown-fields", "decode-errors", "signing", "handshakes", "frames", "client"] {
            #expect(DOM.section(id, in: dom) != nil, "section \(id)")
        }
        let methods = try DOM.rows(of: "methods", in: dom)
        guard case .object(let expected)? = report["frames"]?["methods"] else { throw CLIFailure("no methods in the report") }
        #expect(expected.count == 20)
        #expect(methods.map { [$0[0], $0[1]] } == expected.map { [$0.0, String($0.1.intValue ?? -1)] })
        #expect(methods.first { $0[0] == "WebcastFancyNewMessage" }?[3] == "unknown")
        #expect(methods.first { $0[0] == "WebcastChatMessage" }?[2] == "2", "decode errors of the method")
        let unknown = try DOM.rows(of: "unknown-fields", in: dom)
        #expect(unknown.map { Array($0.prefix(2)) } == [["WebcastChatMessage.user.77", "2"]])
        let errors = try DOM.rows(of: "decode-errors", in: dom).map(\.[0])
        #expect(Set(errors) == ["inflate", "WebcastChatMessage", "WebcastInRoomBannerMessage", "WebcastLikeMessage"])
        let handshake = try DOM.rows(of: "handshakes", in: dom)
        #expect(handshake.prefix(2) == [["URL", "wss://webcast16-ws-useast1a.tiktok.com/webcast/im/push/v2/"], ["Status", "101"]])
        #expect(DOM.count("svg", in: try #require(DOM.section("timeline", in: dom))) == 3)
    }

    @Test func theInspectPageIsNotBlank() throws {
        let image = try PNGImage(try Chromium.screenshot(of: try page(["inspect", "Fixtures/session-5min.tape"])))
        #expect(image.width == 1280 && image.height == 2000)
        let colours = Set(image.pixels)
        let inked = image.pixels.filter { $0 != 0xFFFFFF }.count
        #expect(colours.count > 50, "text, tables and chart colours: \(colours.count) colours")
        #expect(inked * 20 > image.pixels.count, "at least 5 % of the pixels are not white: \(inked)")
        // The series colours of the charts are on the screen.
        for series in [0x1F77B4, 0xFF7F0E, 0x2CA02C] as [UInt32] { #expect(colours.contains(series), "colour \(String(series, radix: 16))") }
    }

    @Test func theComparePageRanksTheChangeFirstWithOldAndNewSideBySide() throws {
        let set = try ChangedProtocolTests.changedSet.get()
        let file = try page(["compare", set.appendingPathComponent("base.tape").path, set.appendingPathComponent("renamed-method.tape").path])
        let dom = try Chromium.dom(of: file)
        let changes = try DOM.rows(of: "changes", in: dom)
        let first = try #require(changes.first)
        #expect(first[0] == "1" && first[1] == "method renamed" && first[2] == "WebcastChatMessage")
        #expect(first[3].hasPrefix("WebcastChatMessage ×") && first[4].hasPrefix("WebcastCommentMessage ×"))
        let methods = try DOM.rows(of: "methods", in: dom)
        let chat = try #require(methods.first { $0[0] == "WebcastChatMessage" }), comment = try #require(methods.first { $0[0] == "WebcastCommentMessage" })
        #expect(chat[2] == "0" && comment[1] == "0" && chat[1] == comment[2] && chat[1] != "0")
        #expect(DOM.count("svg", in: try #require(DOM.section("timeline", in: dom))) == 6)
        let image = try PNGImage(try Chromium.screenshot(of: file))
        #expect(image.pixels.filter { $0 != 0xFFFFFF }.count * 20 > image.pixels.count)
    }

    @Test func hostileTextStaysText() throws {
        let hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>\"'&"
        let directory = try CLI.temporaryDirectory()
        let tape = directory.appendingPathComponent("hostile.tape").path
        let writer = try TapeWriter(path: tape, header: TapeHeader(created: "2026-11-29T12:00:00Z", source: TapeSource(kind: "test")))
        try writer.append(.wsOpen(WebSocketOpen(timeMicros: 0, conn: 1, url: "wss://push.example/\(hostile)?a=1",
                                                response: HTTPResponse(status: 200, headers: [HTTPHeader("Handshake-Msg", hostile)]))))
        let result = ProtoMessageFetchResult.with {
            $0.messages = [BaseProtoMessage.with { $0.method = hostile; $0.payload = Data([0x0A, 0x02, 0x3C, 0x62]) }]
        }
        let payload = try result.serializedData()
        let frame = WebcastPushFrame.with { $0.payloadType = "msg"; $0.headers = ["compress_type": hostile]; $0.payload = payload }
        try writer.append(.wsMessage(WebSocketMessage(timeMicros: 1_000, conn: 1, direction: .recv, payload: Body(try frame.serializedData()))))
        try writer.close()
        let dom = try Chromium.dom(of: try page(["inspect", tape]))
        #expect(DOM.count("img", in: dom) == 0 && DOM.count("script", in: dom) == 0)
        let methods = try DOM.rows(of: "methods", in: dom)
        #expect(methods.map(\.[0]) == [hostile])
        let handshake = try DOM.rows(of: "handshakes", in: dom)
        #expect(handshake.count == 7 && handshake[0] == ["URL", "wss://push.example/\(hostile)"] && handshake[3] == ["Handshake-Msg", hostile])
        #expect(try DOM.rows(of: "frames", in: dom).first?[0] == hostile)
    }
}
