import ArgumentParser
import Foundation
import Transcript
import WebcastDecoder

/// The files of a fixture directory: tapes, their golden transcripts, pending goldens.
struct FixtureFiles {
    /// Every `.tape` under the directories, sorted by path.
    var tapes: [String] = []
    /// Goldens whose tape does not exist.
    var orphanGoldens: [String] = []
    /// Pending goldens (`*.golden.jsonl.new`) left behind by an earlier check.
    var pending: [String] = []

    static let goldenSuffix = ".golden.jsonl"
    static let pendingSuffix = ".golden.jsonl.new"

    /// `<tape without .tape>.<view>.golden.jsonl`.
    static func golden(for tape: String, view: TranscriptView) -> String {
        String(tape.dropLast(".tape".count)) + ".\(view.rawValue)" + goldenSuffix
    }

    static func pending(for golden: String) -> String { golden + ".new" }

    /// Finds the files under `directories`, recursively.
    static func scan(_ directories: [String]) throws(CLIError) -> FixtureFiles {
        var files = FixtureFiles()
        var goldens: [String] = []
        for directory in directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw .unreadable("\(directory): not a directory")
            }
            guard let walker = FileManager.default.enumerator(atPath: directory) else {
                throw .unreadable("\(directory): cannot list")
            }
            for case let relative as String in walker {
                let path = (directory as NSString).appendingPathComponent(relative)
                if path.hasSuffix(".tape") { files.tapes.append(path) }
                if path.hasSuffix(goldenSuffix) { goldens.append(path) }
                if path.hasSuffix(pendingSuffix) { files.pending.append(path) }
            }
        }
        files.tapes.sort()
        files.pending.sort()
        let tapes = Set(files.tapes)
        files.orphanGoldens = goldens.filter { golden in
            !TranscriptView.allCases.contains { view in
                golden.hasSuffix(".\(view.rawValue)\(goldenSuffix)")
                    && tapes.contains(String(golden.dropLast(".\(view.rawValue)\(goldenSuffix)".count)) + ".tape")
            }
        }.sorted()
        return files
    }
}

/// `--shard K/N`: the tapes whose stable hash falls in shard K of N, so that a large corpus
/// splits across CI jobs and adding a tape moves no other tape to another shard.
struct Shard: ExpressibleByArgument, Equatable {
    var index: Int
    var count: Int

    init?(argument: String) {
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else { return nil }
        index = k
        count = n
    }

    /// FNV-1a of the file name (not the directory), so that the shard does not depend on where the corpus lives.
    func contains(_ tape: String) -> Bool {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in (tape as NSString).lastPathComponent.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return Int(hash % UInt64(count)) == index - 1
    }
}
