import Foundation
import JSONKit
import Testing
import Transcript

@Suite struct DiffTests {
    static let session = "session-5min.wire.golden.jsonl"

    @Test(arguments: Fixtures.wireGoldens + Fixtures.eventsGoldens)
    func identicalFilesHaveNoChanges(name: String) throws {
        let records = try Fixtures.lines(name).count - 1
        let report = try TranscriptDiff.diff(expected: Fixtures.path(name), actual: Fixtures.path(name))
        #expect(report.isIdentical)
        #expect(report.changes.isEmpty)
        #expect(report.summary.compared == records)
        #expect(report.summary.expectedRecords == records && report.summary.actualRecords == records)
        #expect(report.summary.byType.values.reduce(0) { $0 + $1.compared } == records)
    }

    @Test func oneChangedValueIsOneChangeWithPathAndValues() throws {
        let lines = try Fixtures.lines(Self.session)
        let k = try #require(firstIndex(lines, containing: #""type":"message""#, #""method":"WebcastGiftMessage""#, #""repeat_count":1,"#))
        var actual = lines
        actual[k] = edit(lines[k], ["fields", "repeat_count"], 2)
        let report = try diffLines(lines, actual)
        try #require(report.changes.count == 1)
        let change = report.changes[0]
        #expect(change.kind == .changed)
        #expect(change.path == "repeat_count")
        #expect(change.jsonPath == "fields.repeat_count")
        #expect(change.expected == 1 && change.actual == 2)
        #expect(change.category == "WebcastGiftMessage")
        let id = try #require(parse(lines[k])["msg_id"]?.stringValue)
        #expect(change.record == "WebcastGiftMessage \(id.prefix(4))…\(id.suffix(2))")
        #expect(change.group?.hasPrefix("frame ") == true)
        #expect(change.expectedLocation == RecordLocation(line: k + 1, tapeLine: Int(parse(lines[k])["line"]?.intValue ?? -1)))
        #expect(change.contextBefore.last == "group_count: 1")
        #expect(change.contextAfter.first == "combo_count: 1")
        #expect(report.summary.changed == 1 && report.summary.added == 0 && report.summary.removed == 0)
        #expect(report.summary.compared == lines.count - 1)
        #expect(report.summary.byMethod["WebcastGiftMessage"]?.changed == 1)
        #expect(TextReportRenderer.line(change).hasSuffix("› WebcastGiftMessage \(id.prefix(4))…\(id.suffix(2)) › repeat_count: 1 → 2"))
    }

    @Test func insertedAndDroppedRecordsDoNotCascade() throws {
        let lines = try Fixtures.lines(Self.session)
        var actual = lines
        // Drop one chat message; insert a copy of another message under a new msg_id further on.
        let dropped = try #require(firstIndex(Array(lines[3000...]), containing: #""method":"WebcastChatMessage""#)) + 3000
        let source = try #require(firstIndex(Array(lines[6000...]), containing: #""method":"WebcastLikeMessage""#)) + 6000
        let inserted = edit(lines[source], ["msg_id"], "7999999999999999999")
        actual.insert(inserted, at: source + 1)
        actual.remove(at: dropped)
        let report = try diffLines(lines, actual)
        #expect(report.changes.map(\.kind) == [.removed, .added])
        #expect(report.changes.first?.expectedLocation?.line == dropped + 1)
        #expect(report.changes.last?.record == "WebcastLikeMessage 7999…99")
        #expect(report.changes.last?.actualLocation?.line == source + 1)
        #expect(report.summary.compared == lines.count - 2)
        #expect(report.summary.changed == 0)
    }

    @Test func aDroppedFrameGroupIsOnlyRemovedRecords() throws {
        let lines = try Fixtures.lines(Self.session)
        let frame = try #require(firstIndex(Array(lines[4000...]), containing: #""type":"frame""#, #""payload_type":"msg""#)) + 4000
        let tapeLine = try #require(parse(lines[frame])["line"]?.intValue)
        var end = frame + 1
        while end < lines.count, parse(lines[end])["line"]?.intValue == tapeLine { end += 1 }
        var actual = lines
        actual.removeSubrange(frame..<end)
        let report = try diffLines(lines, actual)
        #expect(report.changes.count == end - frame)
        #expect(report.changes.allSatisfy { $0.kind == .removed })
        #expect(report.changes.dropFirst().allSatisfy { $0.group == report.changes.first?.record })
        #expect(report.summary.compared == lines.count - 1 - (end - frame))
    }

    @Test func shiftedTapeLinesAreNotDifferences() throws {
        let lines = try Fixtures.lines(Self.session)
        var actual = lines
        for k in 5000..<lines.count {
            let line = parse(lines[k])["line"]?.intValue ?? 0
            actual[k] = edit(lines[k], ["line"], .int(line + 7))
        }
        let report = try diffLines(lines, actual)
        #expect(report.isIdentical)
        #expect(report.summary.compared == lines.count - 1)
    }

    @Test func unknownFieldAppearedAndVanished() throws {
        let name = "corrupt-messages.wire.golden.jsonl"
        let lines = try Fixtures.lines(name)
        let k = try #require(firstIndex(lines, containing: #""type":"message""#, #""unknown":[{"path":"WebcastChatMessage.user.77""#))
        var without = lines
        without[k] = edit(lines[k], ["unknown"], nil)

        let appeared = try diffLines(without, lines)
        #expect(appeared.changes.map(\.kind) == [.unknownFieldAppeared])
        #expect(appeared.changes.first?.path == "unknown[WebcastChatMessage.user.77]")
        #expect(appeared.changes.first?.actual?["wire_type"] == 2)
        #expect(appeared.summary.byKind[.unknownFieldAppeared] == 1)

        let vanished = try diffLines(lines, without)
        #expect(vanished.changes.map(\.kind) == [.unknownFieldVanished])
        #expect(TextReportRenderer.line(try #require(vanished.changes.first)).contains("unknown[WebcastChatMessage.user.77] vanished (was {\"string\":\"vip_frame_v2\"})"))

        // A changed unknown value is a plain change under the entry's path.
        var changed = lines
        changed[k] = lines[k].replacingOccurrences(of: "vip_frame_v2", with: "vip_frame_v3")
        let report = try diffLines(lines, changed)
        #expect(report.changes.map(\.path) == ["unknown[WebcastChatMessage.user.77].value.string"])
    }

    @Test func decodeErrorAppearedAndVanished() throws {
        let name = "corrupt-messages.wire.golden.jsonl"
        let lines = try Fixtures.lines(name)
        let k = try #require(firstIndex(lines, containing: #""type":"decode_error""#, #""stage":"inflate""#))
        var without = lines
        without.remove(at: k)

        let vanished = try diffLines(lines, without)
        #expect(vanished.changes.map(\.kind) == [.decodeErrorVanished])
        #expect(vanished.changes.first?.record.hasPrefix("decode_error inflate") == true)
        #expect(vanished.summary.removed == 1)
        let appeared = try diffLines(without, lines)
        #expect(appeared.changes.map(\.kind) == [.decodeErrorAppeared])
        #expect(TextReportRenderer.line(try #require(appeared.changes.first)).contains("decode error appeared: compressed data truncated"))

        // Events view.
        let events = try Fixtures.lines("corrupt-messages.events.golden.jsonl")
        let e = try #require(firstIndex(events, containing: #""event":"decode_error""#))
        var eventsWithout = events
        eventsWithout.remove(at: e)
        #expect(try diffLines(eventsWithout, events).changes.map(\.kind) == [.decodeErrorAppeared])
    }

    @Test func ignorePatternsMatchAndDoNotMatch() throws {
        let lines = try Fixtures.lines(Self.session)
        let k = try #require(firstIndex(lines, containing: #""method":"WebcastChatMessage""#, #""create_time":""#))
        let f = try #require(firstIndex(lines, containing: #""type":"frame""#, #""dir":"recv""#))
        var actual = lines
        actual[k] = edit(lines[k], ["fields", "common", "create_time"], "1")
        actual[f] = edit(lines[f], ["t_us"], 1)

        let plain = try diffLines(lines, actual)
        #expect(plain.changes.map(\.path).sorted() == ["common.create_time", "t_us"])

        let ignoring = try diffLines(lines, actual, options: DiffOptions(ignore: IgnoreRules(["*.common.create_time", "*.t_us"])))
        #expect(ignoring.isIdentical)
        #expect(ignoring.summary.ignored == 2)

        let byMethod = try diffLines(lines, actual, options: DiffOptions(ignore: IgnoreRules(["WebcastChatMessage.common.create_time", "frame.?_us"])))
        #expect(byMethod.isIdentical)

        let byJSONPath = try diffLines(lines, actual, options: DiffOptions(ignore: IgnoreRules(["message.fields.common.*"])))
        #expect(byJSONPath.changes.map(\.path) == ["t_us"])

        let notMatching = try diffLines(lines, actual, options: DiffOptions(ignore: IgnoreRules(["WebcastGiftMessage.common.create_time", "*.t_u", "common.create_time"])))
        #expect(notMatching.changes.count == 2)
        #expect(notMatching.summary.ignored == 0)
    }

    @Test func patternSyntax() throws {
        #expect(IgnorePattern("*.common.create_time").matches("WebcastGiftMessage.common.create_time"))
        #expect(IgnorePattern("*.t_us").matches("frame.t_us"))
        #expect(!IgnorePattern("*.t_us").matches("frame.t_us_x"))
        #expect(IgnorePattern("Webcast*Message.total").matches("WebcastRoomUserSeqMessage.total"))
        #expect(IgnorePattern("a.?").matches("a.b") && !IgnorePattern("a.?").matches("a.bc"))
        #expect(IgnorePattern("*").matches("anything.at.all"))
        #expect(!IgnorePattern("total").matches("WebcastRoomUserSeqMessage.total"))

        let rules = try IgnoreRules.parse("# volatile\n\n  *.t_us   # capture clock\nuser.#x\n", file: "v.txt")
        #expect(rules.patterns.map(\.text) == ["*.t_us", "user.#x"])
        #expect(caught { try IgnoreRules.parse("a b\n", file: "v.txt") } ==
                .invalidPattern(file: "v.txt", line: 1, message: "'a b' contains white space (one pattern per line; '#' starts a comment)"))
        let shipped = try IgnoreRules.load(path: Fixtures.path("volatile-fields.txt"))
        #expect(shipped.patterns.map(\.text).contains("*.t_us"))
        var extended = shipped
        extended.add("  WebcastRoomUserSeqMessage.total ")
        #expect(extended.patterns.last?.text == "WebcastRoomUserSeqMessage.total")
    }

    @Test func differentViewsAreAnError() {
        let error = caught {
            try TranscriptDiff.diff(expected: Fixtures.path(Self.session), actual: Fixtures.path("session-5min.events.golden.jsonl"))
        }
        guard case .viewMismatch(let ef, "wire", let af, "events")? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(ef.hasSuffix("session-5min.wire.golden.jsonl") && af.hasSuffix("session-5min.events.golden.jsonl"))
        #expect(error?.description.contains("a wire transcript") == true && error?.description.contains("an events transcript") == true)
    }

    @Test func aMalformedLineIsAnErrorEvenWhenBothFilesHaveIt() throws {
        var lines = try Fixtures.lines("compress-none.wire.golden.jsonl")
        lines[40] = String(lines[40].dropLast())  // unterminated object
        let both = caught { try diffLines(lines, lines, names: ("golden.jsonl", "new.jsonl")) }
        guard case .malformedLine("golden.jsonl", 41, let column, _)? = both else {
            Issue.record("unexpected \(String(describing: both))")
            return
        }
        #expect(column == lines[40].utf8.count + 1)
        let good = try Fixtures.lines("compress-none.wire.golden.jsonl")
        let actualOnly = caught { try diffLines(good, lines, names: ("golden.jsonl", "new.jsonl")) }
        #expect(actualOnly?.description.hasPrefix("new.jsonl:41:") == true)
    }

    @Test func aRecordOfTheWrongViewIsAnError() throws {
        var lines = try Fixtures.lines("handshake-rejected.wire.golden.jsonl")
        lines[3] = #"{"event":"comment","line":3,"t_us":5}"#
        let error = caught { try diffLines(try Fixtures.lines("handshake-rejected.wire.golden.jsonl"), lines) }
        #expect(error == .invalidRecord(file: "actual.jsonl", line: 4, message: "an events record (\"event\") in a wire transcript"))
    }

    @Test func aSmallWindowAndALongInsertionRunStillAlign() throws {
        let lines = Array(try Fixtures.lines(Self.session).prefix(1500))
        let at = try #require(firstIndex(Array(lines[700...]), containing: #""type":"frame""#, #""dir":"recv""#)) + 700
        let template = lines[at - 1]
        let tUs = parse(template)["t_us"] ?? 0
        let run = (0..<60).map { n in
            canonical(setting(setting(parse(lines[3]), ["msg_id"], .string("70000000000000000\(10 + n)")), ["t_us"], tUs))
        }
        var actual = lines
        actual.insert(contentsOf: run, at: at)
        let options = DiffOptions(window: 8)
        let inserted = try diffLines(lines, actual, options: options)
        #expect(inserted.summary.added == 60)
        #expect(inserted.summary.removed == 0 && inserted.summary.changed == 0)
        #expect(inserted.summary.compared == lines.count - 1)
        #expect(inserted.summary.maxLookahead <= 8)

        let dropped = try diffLines(actual, lines, options: options)
        #expect(dropped.summary.removed == 60 && dropped.summary.added == 0)
        #expect(dropped.summary.compared == lines.count - 1)
        #expect(dropped.summary.maxLookahead <= 8)
    }

    @Test func wholeDifferentFilesTerminateWithBoundedLookahead() throws {
        let report = try TranscriptDiff.diff(expected: Fixtures.path(Self.session), actual: Fixtures.path("corrupt-messages.wire.golden.jsonl"),
                                             options: DiffOptions(window: 64, maxStoredChanges: 100))
        #expect(report.summary.expectedRecords == 8460 && report.summary.actualRecords == 919)
        #expect(report.summary.added + report.summary.compared == 919)
        #expect(report.summary.removed + report.summary.compared == 8460)
        #expect(report.summary.maxLookahead <= 64)
        #expect(report.changes.count == 100 && report.truncated)
        #expect(report.summary.changes > 100)
    }

    @Test func contentKeyedRecordsArePairedAsChanged() throws {
        let lines = try Fixtures.lines(Self.session)
        let open = try #require(firstIndex(lines, containing: #""type":"ws_open""#))
        let url = try #require(parse(lines[open])["url"]?.stringValue)
        var actual = lines
        actual[open] = edit(lines[open], ["url"], .string(url + "&new_param=1"))
        let report = try diffLines(lines, actual)
        #expect(report.changes.map(\.kind) == [.changed])
        #expect(report.changes.first?.path == "url")
        #expect(report.changes.first?.record.hasPrefix("ws_open webcast16-ws-useast1a.tiktok.com/") == true)
    }

    @Test func eventsViewChangesUseEventLabels() throws {
        let lines = try Fixtures.lines("session-5min.events.golden.jsonl")
        let k = try #require(firstIndex(lines, containing: #""event":"gift""#, #""repeat_count":1,"#))
        var actual = lines
        actual[k] = edit(edit(lines[k], ["repeat_count"], 3), ["user", "nickname"], "someone else")
        let report = try diffLines(lines, actual)
        #expect(report.changes.map(\.path) == ["user.nickname", "repeat_count"])
        #expect(report.changes.allSatisfy { $0.record.hasPrefix("gift ") && $0.group == nil && $0.category == "gift" })
        #expect(report.changes.last?.expected == 1 && report.changes.last?.actual == 3)
        #expect(report.summary.byType["gift"]?.changed == 1 && report.summary.changed == 1)
    }

    @Test func arraysOfDifferentLengthsAreRealigned() throws {
        let lines = try Fixtures.lines("session-5min.events.golden.jsonl")
        let k = try #require(firstIndex(lines, containing: #""event":"viewer_count""#, #""top":[{"#))
        guard case .array(var top)? = parse(lines[k])["top"], top.count >= 2 else {
            Issue.record("no viewer_count with a top list")
            return
        }
        let removed = top.remove(at: 0)
        var actual = lines
        actual[k] = edit(lines[k], ["top"], .array(top))
        let report = try diffLines(lines, actual)
        #expect(report.changes.count == 1)
        #expect(report.changes.first?.path == "top[0]" && report.changes.first?.expected == removed && report.changes.first?.actual == nil)
    }

    @Test func nonCanonicalInputIsComparedSemantically() throws {
        let lines = try Fixtures.lines("compress-none.wire.golden.jsonl")
        var reordered = [lines[0]]
        for line in lines.dropFirst() {
            guard case .object(let pairs) = parse(line) else { continue }
            reordered.append(canonical(.object(pairs.reversed())))
        }
        let same = try diffLines(lines, reordered)
        #expect(same.isIdentical && same.summary.compared == lines.count - 1)
        let k = try #require(firstIndex(reordered, containing: #""type":"message""#))
        reordered[k] = edit(reordered[k], ["index"], 99)
        let one = try diffLines(lines, reordered)
        #expect(one.changes.map(\.path) == ["index"] && one.changes.first?.actual == 99)
    }

    @Test func aTruncatedActualIsRemovedRecordsNotSame() throws {
        let lines = try Fixtures.lines("compress-none.wire.golden.jsonl")
        let report = try diffLines(lines, Array(lines.prefix(100)))
        #expect(!report.isIdentical)
        #expect(report.summary.removed == lines.count - 100 && report.summary.compared == 99)
    }

    @Test func changesStreamToTheCallback() throws {
        let lines = try Fixtures.lines("handshake-rejected.wire.golden.jsonl")
        var actual = lines
        actual[2] = edit(lines[2], ["t_us"], 12345)
        let a = try TranscriptReader(bytes: Array((lines.joined(separator: "\n") + "\n").utf8))
        let b = try TranscriptReader(bytes: Array((actual.joined(separator: "\n") + "\n").utf8))
        var seen: [String] = []
        let report = try TranscriptDiff.diff(expected: a, actual: b, options: DiffOptions(maxStoredChanges: 0)) { seen.append($0.path) }
        #expect(seen == ["t_us"])
        #expect(report.changes.isEmpty && report.truncated && report.summary.changes == 1)
    }
}
