import Foundation
import FuzzTargets
import Testing

/// The fuzz corpora under `Fixtures/fuzz/` (seeds, and the inputs of findings kept as
/// regressions) run through their targets in every test run.
@Suite struct SeedCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    static func inputs(of target: FuzzTarget) throws -> [URL] {
        let directory = corpus.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyInputRunsThroughItsTarget(_ target: FuzzTarget) throws {
        let inputs = try Self.inputs(of: target)
        #expect(inputs.count >= 3, "\(target.rawValue) needs seeds in Fixtures/fuzz/\(target.rawValue)")
        for input in inputs {
            target.run([UInt8](try Data(contentsOf: input)))
        }
    }
}
