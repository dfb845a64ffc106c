import Foundation
import JSONKit
import Tape
import Testing

/// Every entry of `Fixtures/bad-input/manifest.json` through the real `livetape`: the documented
/// exit code and message, in bounded time and memory.
@Suite(.serialized) struct BadInputCorpusTests {
    static let directory = CLI.root.appendingPathComponent("Fixtures/bad-input")
    static let manifest: JSONValue = {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("manifest.json").path),
              let manifest = try? JSONParser.parse([UInt8](data)) else { fatalError("Fixtures/bad-input/manifest.json is missing or not JSON") }
        return manifest
    }()

    struct Entry: Sendable, CustomTestStringConvertible {
        var input: String
        var run: [String]
        var exit: Int32
        var stderr: [String]
        var testDescription: String { input }
    }

    static let entries: [Entry] = (manifest["entries"]?.arrayValue ?? []).map { entry in
        Entry(input: entry["input"]?.stringValue ?? "", run: entry["run"]?.arrayValue?.compactMap(\.stringValue) ?? [],
              exit: Int32(entry["exit"]?.intValue ?? -1), stderr: entry["stderr"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    @Test func everyFileIsAnEntryOrUsedByOne() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0 != "manifest.json" }
        let named = Set(Self.entries.flatMap { [$0.input] + $0.run.map { $0.replacingOccurrences(of: "{dir}/", with: "") } })
        #expect(files.filter { !named.contains($0) } == [])
        #expect(Self.entries.count >= 40)
    }

    @Test(arguments: entries)
    func entryGivesItsDocumentedOutcome(_ entry: Entry) throws {
        let seconds = Double(try #require(Self.manifest["seconds"]?.intValue))
        let maxResidentBytes = Int(try #require(Self.manifest["max_rss_mib"]?.intValue)) << 20
        let output = try CLI.temporaryDirectory().appendingPathComponent("out.tape")
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        let arguments = entry.run.map {
            $0.replacingOccurrences(of: "{input}", with: Self.directory.appendingPathComponent(entry.input).path)
                .replacingOccurrences(of: "{dir}", with: Self.directory.path)
                .replacingOccurrences(of: "{output}", with: output.path)
        }
        let run = try BoundedRun.livetape(arguments, limit: seconds)
        #expect(run.status != nil, "killed after \(seconds) s")
        #expect(run.status == entry.exit, "\(run.stderr)")
        for message in entry.stderr {
            #expect(run.stderr.contains(message), "\(run.stderr)")
        }
        #expect(run.maxResidentBytes < maxResidentBytes, "peak RSS \(run.maxResidentBytes >> 20) MiB")
        if entry.run.contains("{output}") {
            try expectTape(at: output.path, afterExit: entry.exit)
        }
    }

    /// An import that gave up wrote nothing; one that finished wrote a tape that reads back cleanly.
    private func expectTape(at path: String, afterExit status: Int32) throws {
        guard status != 2 else {
            #expect(!FileManager.default.fileExists(atPath: path), "exit 2 left a tape")
            return
        }
        let failures = try TapeReader(path: path).compactMap { entry -> String? in
            if case .failure(let error) = entry.result { error.description } else { nil }
        }
        #expect(failures == [])
    }
}
