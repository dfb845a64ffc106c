import Capture
import Foundation
import FuzzTargets
import Tape
import Testing

/// Inputs the fuzzer found (kept in `Fixtures/fuzz/TARGET/finding-*`), each through the code
/// path that failed on it: what it gives now.
@Suite struct FindingTests {
    static func input(_ target: FuzzTarget, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: SeedCorpusTests.corpus.appendingPathComponent("\(target.rawValue)/\(name)")))
    }

    /// A response status of four digits made a tape record that the tape reader refuses.
    @Test func aStatusThatIsNotThreeDigitsLeavesTheConnectionUnparsed() throws {
        let input = try Self.input(.http, "finding-status-1001")
        let (records, summary) = ConnectionTarget.packets(input, handshake: nil).imported()
        #expect(summary.unparsed == [#"connection 1: not an HTTP/1.1 response: status "1001" is not three digits"#])
        #expect(records.isEmpty)
    }
}
