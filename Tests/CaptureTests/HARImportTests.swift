import Capture
import Testing

@Suite struct HARImportTests {
    private func read(_ entry: String) throws -> HARImport {
        try HARImporter.read(Array(#"{"log":{"entries":[\#(entry)]}}"#.utf8))
    }

    /// Digits of other scripts match a Unicode-aware `\d`, and once made the date parser trap.
    @Test func aDateWithDigitsOtherThanASCIIIsAProblem() throws {
        let imported = try read(#"{"startedDateTime":"٢٠٢٦-11-29T20:00:00Z","request":{"method":"GET","url":"http://a/"},"response":{"status":200}}"#)
        #expect(imported.problems.map(\.description) == [
            #"entries[0].startedDateTime: expected an ISO 8601 date-time such as 2026-11-29T20:00:00.123Z, found "٢٠٢٦-11-29T20:00:00Z""#,
        ])
    }

    @Test func aDurationOutOfRangeIsAProblem() throws {
        let imported = try read(#"{"startedDateTime":"2026-11-29T20:00:00Z","time":1e300,"request":{"method":"GET","url":"http://a/"},"response":{"status":200}}"#)
        #expect(imported.problems.map(\.description) == ["entries[0].time: 1e+300 is out of range for a time"])
        #expect(imported.records.isEmpty)
    }
}
