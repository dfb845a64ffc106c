import Foundation
import Testing

/// `livetape check` and `livetape review` on a copy of two small fixtures.
@Suite struct CheckCommandTests {
    /// A fixture directory holding copies of the given tapes and their goldens.
    private func fixtures(_ names: [String] = ["handshake-rejected", "compress-none"]) throws -> URL {
        let dir = try CLI.temporaryDirectory().appendingPathComponent("Fixtures")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let source = CLI.root.appendingPathComponent("Fixtures")
        for name in names {
            for file in ["\(name).tape", "\(name).wire.golden.jsonl", "\(name).events.golden.jsonl"] {
                try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: dir.appendingPathComponent(file))
            }
        }
        return dir
    }

    private func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// Replaces the first occurrence of `old` in a golden.
    private func edit(_ url: URL, replacing old: String, with new: String) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let range = try #require(text.range(of: old))
        try text.replacingCharacters(in: range, with: new).write(to: url, atomically: true, encoding: .utf8)
    }

    @Test func matchingGoldensPass() throws {
        let dir = try fixtures()
        let run = try CLI.run(["check", dir.path])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("ok       compress-none.tape"))
        #expect(run.stdout.contains("2 tapes checked: 2 passed, 0 failed"))
        #expect(run.stdout.contains("compress-none.tape       same (721)  same (374)"))
    }

    @Test func aChangedValueFailsAndIsWrittenAsPendingThenAccepted() throws {
        let dir = try fixtures()
        let golden = dir.appendingPathComponent("compress-none.events.golden.jsonl")
        let original = try String(contentsOf: golden, encoding: .utf8)
        try edit(golden, replacing: #""repeat_count":"#, with: #""repeat_count":1"#)
        let run = try CLI.run(["check", dir.path])
        #expect(run.status == 1)
        #expect(run.stdout.contains("FAIL     compress-none.tape"))
        #expect(run.stdout.contains("› repeat_count: "))
        #expect(run.stdout.contains("events 1 changed"))
        let pending = dir.appendingPathComponent("compress-none.events.golden.jsonl.new")
        #expect(exists(pending))

        let review = try CLI.run(["review", dir.path, "--accept-all"])
        #expect(review.status == 0)
        #expect(review.stdout.contains("1 accepted, 0 rejected"))
        #expect(!exists(pending))
        #expect(try String(contentsOf: golden, encoding: .utf8) == original)
        let again = try CLI.run(["check", dir.path])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
    }

    @Test func underCINothingIsWritten() throws {
        let dir = try fixtures(["compress-none"])
        let golden = dir.appendingPathComponent("compress-none.wire.golden.jsonl")
        try edit(golden, replacing: #""cursor":""#, with: #""cursor":"x"#)
        let run = try CLI.run(["check", dir.path, "--record", "all"], environment: ["CI": "true"])
        #expect(run.status == 1)
        #expect(!exists(dir.appendingPathComponent("compress-none.wire.golden.jsonl.new")))
        let allowed = try CLI.run(["check", dir.path, "--record", "all", "--allow-ci-writes"], environment: ["CI": "true"])
        #expect(allowed.status == 0, "\(allowed.stdout)")
        #expect(allowed.stdout.contains("wire updated"))
    }

    @Test func missingGoldensFailUnlessRecorded() throws {
        let dir = try fixtures(["handshake-rejected"])
        let golden = dir.appendingPathComponent("handshake-rejected.events.golden.jsonl")
        try FileManager.default.removeItem(at: golden)
        let run = try CLI.run(["check", dir.path])
        #expect(run.status == 1)
        #expect(run.stdout.contains("events no golden"))
        #expect(!exists(golden))
        let recorded = try CLI.run(["check", dir.path, "--record", "missing"])
        #expect(recorded.status == 0)
        #expect(recorded.stdout.contains("events written"))
        #expect(exists(golden))
    }

    @Test func orphansFailAndCanBeCleaned() throws {
        let dir = try fixtures()
        try FileManager.default.removeItem(at: dir.appendingPathComponent("handshake-rejected.tape"))
        try "left over\n".write(to: dir.appendingPathComponent("x.wire.golden.jsonl.new"), atomically: true, encoding: .utf8)
        let run = try CLI.run(["check", dir.path])
        #expect(run.status == 1)
        #expect(run.stdout.contains("ORPHAN   \(dir.path)/handshake-rejected.events.golden.jsonl (no tape)"))
        #expect(run.stdout.contains("x.wire.golden.jsonl.new (pending golden"))
        let cleaned = try CLI.run(["check", dir.path, "--clean-orphans"])
        #expect(cleaned.status == 0, "\(cleaned.stdout)")
        #expect(!exists(dir.appendingPathComponent("handshake-rejected.wire.golden.jsonl")))
        #expect(!exists(dir.appendingPathComponent("x.wire.golden.jsonl.new")))
    }

    @Test func shardsSplitTheTapesWithoutOverlap() throws {
        let dir = try fixtures(["handshake-rejected", "compress-none", "corrupt-messages"])
        var seen: [String] = []
        for k in 1...2 {
            let run = try CLI.run(["check", dir.path, "--shard", "\(k)/2"])
            #expect(run.status == 0, "\(run.stdout)")
            seen += run.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }.map { String($0.split(separator: " ")[1]) }
        }
        #expect(seen.sorted() == ["compress-none.tape", "corrupt-messages.tape", "handshake-rejected.tape"])
    }

    @Test func everyTapeIsAlsoReplayedThroughTheMocks() throws {
        let dir = try fixtures(["handshake-rejected", "compress-none"])
        let run = try CLI.run(["check", dir.path])
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.stdout.contains("replay ok   compress-none.tape  wire same, events same"))
        #expect(run.stdout.contains("replay ok   handshake-rejected.tape  wire same, events same"))
        let skipped = try CLI.run(["check", dir.path, "--no-replay"])
        #expect(!skipped.stdout.contains("replay "))
    }

    @Test func aJUnitReportNamesEveryTapeAndView() throws {
        let dir = try fixtures(["handshake-rejected"])
        let report = dir.appendingPathComponent("junit.xml")
        try edit(dir.appendingPathComponent("handshake-rejected.wire.golden.jsonl"), replacing: #""status":200"#, with: #""status":201"#)
        let run = try CLI.run(["check", dir.path, "--junit", report.path])
        #expect(run.status == 1)
        let xml = try String(contentsOf: report, encoding: .utf8)
        #expect(xml.contains(#"<testsuite name="livetape check" tests="2" failures="1">"#))
        #expect(xml.contains(#"name="handshake-rejected.tape events"/>"#))
        #expect(xml.contains(#"name="handshake-rejected.tape wire">"#))
    }

    @Test func reviewNeedsATerminalOrADecision() throws {
        let run = try CLI.run(["review", try fixtures(["handshake-rejected"]).path])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--accept-all or --reject-all"))
    }

    @Test func reviewAsksOnATerminal() throws {
        let dir = try fixtures(["handshake-rejected"])
        let golden = dir.appendingPathComponent("handshake-rejected.wire.golden.jsonl")
        try edit(golden, replacing: #""status":200"#, with: #""status":201"#)
        #expect(try CLI.run(["check", dir.path]).status == 1)
        // script(1) gives review a terminal; the answer "y" arrives on it.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "\(CLI.binary.path) review \(dir.path)", "/dev/null"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("y\n".utf8))
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains("› status: 201 → 200"))
        #expect(text.contains("accept this golden?"))
        #expect(text.contains("1 accepted, 0 rejected"))
        #expect(try CLI.run(["check", dir.path]).status == 0)
    }
}
