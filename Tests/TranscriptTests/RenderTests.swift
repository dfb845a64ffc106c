import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import JSONKit
import Testing
@testable import Transcript

@Suite struct RenderTests {
    /// The session golden with one changed gift, one dropped chat message and a new unknown
    /// field on the frame after it.
    static func sampleReport() throws -> (DiffReport, giftID: String) {
        let lines = try Fixtures.lines("session-5min.wire.golden.jsonl")
        var actual = lines
        let gift = try #require(firstIndex(lines, containing: #""method":"WebcastGiftMessage""#, #""repeat_count":1,"#))
        actual[gift] = edit(lines[gift], ["fields", "repeat_count"], 4)
        let chat = try #require(firstIndex(Array(lines[2000...]), containing: #""method":"WebcastChatMessage""#)) + 2000
        actual[chat + 1] = edit(lines[chat + 1], ["unknown"], [["path": "X.user.99", "wire_type": 0, "offset": 3, "value": "7"]])
        actual.remove(at: chat)
        let report = try diffLines(lines, actual, names: ("golden <a&b>.jsonl", "new.jsonl"))
        return (report, parse(lines[gift])["msg_id"]?.stringValue ?? "")
    }

    @Test func textHasChangeLinesContextAndSummary() throws {
        let (report, id) = try Self.sampleReport()
        let text = TextReportRenderer().render(report)
        #expect(text.contains("› WebcastGiftMessage \(id.prefix(4))…\(id.suffix(2)) › repeat_count: 1 → 4\n"))
        #expect(text.contains("\n    - repeat_count: 1\n    + repeat_count: 4\n"))
        #expect(text.contains("      group_count: 1\n"))
        #expect(text.contains("expected line "))
        #expect(text.contains(": removed\n"))
        #expect(text.contains("\n+ frame ") && text.contains(" › unknown[X.user.99] appeared: \"7\"\n"))
        #expect(text.contains("3 changes: 2 changed, 0 added, 1 removed (8459 records compared; 8460 expected, 8459 actual)\n"))
        #expect(text.contains("\n  1 unknown field appeared\n"))
        #expect(text.contains("\n  by type: frame 1 changed; message 1 changed, 1 removed\n"))
        #expect(text.contains("\n  by method: WebcastChatMessage 1 removed; WebcastGiftMessage 1 changed\n"))
        #expect(!text.contains("\u{1B}["))
        let coloured = TextReportRenderer(colour: true).render(report)
        #expect(coloured.contains("\u{1B}[31m") && coloured.contains("\u{1B}[32m") && coloured.contains("\u{1B}[0m"))
        let brief = TextReportRenderer(showContext: false).render(report)
        #expect(!brief.contains("expected line"))
        #expect(brief.split(separator: "\n").count == 2 + 3 + 4)  // header, changes, summary (4 lines)
    }

    @Test func identicalTextSaysSo() throws {
        let name = "handshake-rejected.wire.golden.jsonl"
        let report = try TranscriptDiff.diff(expected: Fixtures.path(name), actual: Fixtures.path(name))
        #expect(TextReportRenderer().render(report).hasSuffix("no differences: 11 records compared\n"))
    }

    @Test func jsonIsOneParsableObject() throws {
        let (report, _) = try Self.sampleReport()
        let text = JSONReportRenderer.render(report)
        #expect(!text.contains("\n"))
        let value = try JSONParser.parse(text)
        #expect(value["identical"] == false)
        #expect(value["expected"]?["file"] == "golden <a&b>.jsonl")
        #expect(value["summary"]?["changes"] == 3)
        #expect(value["summary"]?["by_method"]?["WebcastGiftMessage"]?["changed"] == 1)
        let changes = try #require(value["changes"]?.arrayValue)
        #expect(changes.count == 3)
        let first = changes[0]
        #expect(first["kind"] == "changed" && first["path"] == "repeat_count" && first["json_path"] == "fields.repeat_count")
        #expect(first["expected"] == 1 && first["actual"] == 4)
        #expect(first["text"]?.stringValue?.hasSuffix("repeat_count: 1 → 4") == true)
        #expect(changes[1]["kind"] == "removed" && changes[1]["actual"] == nil && changes[1]["expected"]?["type"] == "message")
        #expect(changes[2]["kind"] == "unknown_field_appeared")
    }

    @Test func junitParsesAndCarriesTheChangeLines() throws {
        let (report, _) = try Self.sampleReport()
        let xml = JUnitReportRenderer().render([report])
        #if canImport(FoundationXML) || os(macOS)
        let document = try XMLDocument(xmlString: xml)
        let suites = try document.nodes(forXPath: "/testsuites/testsuite")
        #expect(suites.count == 1)
        let cases = try document.nodes(forXPath: "/testsuites/testsuite/testcase")
        let failures = try document.nodes(forXPath: "/testsuites/testsuite/testcase/failure")
        #expect(failures.count == cases.count - 1)  // the unchanged-records case passes
        #expect(cases.count >= 2)
        let root = try #require(document.rootElement())
        #expect(root.attribute(forName: "failures")?.stringValue == String(failures.count))
        let body = failures.compactMap(\.stringValue).joined(separator: "\n")
        #expect(body.contains("repeat_count: 1 → 4"))
        #expect(body.contains(": removed"))
        let names = cases.compactMap { ($0 as? XMLElement)?.attribute(forName: "name")?.stringValue }
        #expect(names.contains { $0.hasPrefix("frame ") })
        #expect(names.last == "unchanged records")
        #else
        #expect(xml.contains("<testsuites ") && xml.contains("</testsuites>"))
        #endif
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"))
    }

    @Test func junitPerTapeHasOneCasePerReport() throws {
        let (changed, _) = try Self.sampleReport()
        let name = "handshake-rejected.wire.golden.jsonl"
        let same = try TranscriptDiff.diff(expected: Fixtures.path(name), actual: Fixtures.path(name))
        let xml = JUnitReportRenderer(granularity: .tape, suiteName: "check").render([changed, same])
        #if canImport(FoundationXML) || os(macOS)
        let document = try XMLDocument(xmlString: xml)
        let cases = try document.nodes(forXPath: "//testcase")
        #expect(cases.count == 2)
        let failures = try document.nodes(forXPath: "//testcase/failure")
        #expect(failures.count == 1)
        let message = (failures.first as? XMLElement)?.attribute(forName: "message")?.stringValue
        #expect(message == "3 differences: 2 changed, 0 added, 1 removed")
        #expect(failures.first?.stringValue?.contains("repeat_count: 1 → 4") == true)
        #else
        #expect(xml.components(separatedBy: "<testcase ").count == 3)
        #endif
    }

    @Test func xmlEscapingKeepsDocumentsWellFormed() {
        #expect(MarkupText.escape("a<b>&\"c\"'\u{1}\n") == "a&lt;b&gt;&amp;&quot;c&quot;&apos;\u{FFFD}&#10;")
    }
}
