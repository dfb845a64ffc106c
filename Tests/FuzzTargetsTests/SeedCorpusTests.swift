import Foundation
import FuzzTargets
import Tape
import Testing
import TLSDecryption

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

    /// The `tls` seeds reach the decryptor's inside: the captures of `livetape serve` over TLS
    /// 1.3 and 1.2 decrypt into their exchange, with the key log and only with it, at once and live.
    @Test(arguments: ["serve-tls13", "serve-tls13chacha", "serve-tls12gcm", "serve-tls12chacha"])
    func theTLSSeedsDecrypt(_ name: String) throws {
        let input = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent("tls/\(name)")))
        let (keyLog, packets) = TLSTarget.parts(input)
        for (records, summary) in [packets.imported(keyLog: keyLog), packets.importedLive(keyLog: keyLog)] {
            #expect(summary.decryptedTLS.count == 1 && summary.undecryptedTLS == [], "\(summary)")
            let exchanges = records.compactMap { if case .http(let e) = $0 { e } else { nil } }
            #expect(exchanges.map { $0.response?.status } == [200])
            #expect(exchanges.first?.request.url.hasSuffix("/webcast/room_id?uniqueId=someone") == true)
        }
        #expect(packets.imported(keyLog: KeyLog()).summary.decryptedTLS == [])
    }
}
