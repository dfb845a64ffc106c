import JSONKit
import Tape

/// What a target's results must satisfy. A violation stops the process with what was seen,
/// which libFuzzer reports as a crash.
enum Invariant {
    static func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError("invariant violated: \(message())") }
    }

    /// `value` written as canonical JSON (a transcript line) parses back, and writing it again gives the same bytes.
    static func writesValidJSON(_ value: JSONValue) {
        let bytes = CanonicalJSON.encode(value)
        guard let parsed = try? JSONParser.parse(bytes) else {
            fatalError("invariant violated: canonical JSON does not parse: \(String(decoding: bytes, as: UTF8.self))")
        }
        check(CanonicalJSON.encode(parsed) == bytes, "canonical JSON changes when written again: \(String(decoding: bytes, as: UTF8.self))")
    }

    private static let header = TapeEncoder.encode(TapeHeader(created: "2026-01-01T00:00:00Z", source: TapeSource(kind: "fuzz")))

    /// `record` written as a tape line reads back as the same record.
    static func roundTrips(_ record: TapeRecord) {
        let line = TapeEncoder.encode(record)
        let entry: TapeEntry?
        do {
            var records = try TapeReader(bytes: header + line).makeIterator()
            entry = records.next()
        } catch {
            fatalError("invariant violated: a tape header does not read back: \(error)")
        }
        switch entry?.result {
        case .success(let read)?:
            check(read == record, "a tape record reads back changed: \(String(decoding: line, as: UTF8.self))")
        case .failure(let error)?:
            fatalError("invariant violated: a written tape record does not read back: \(error)")
        case nil:
            fatalError("invariant violated: a written tape record is missing when read back")
        }
    }

    /// Records an importer made, redacted as `livetape import` does: in time order, each one
    /// readable from the tape it would be written to.
    static func importable(_ records: [TapeRecord]) {
        var redactor = Redactor()
        for (record, next) in zip(records, records.dropFirst()) {
            check(record.timeMicros <= next.timeMicros, "imported records out of time order: \(record.timeMicros) before \(next.timeMicros)")
        }
        for record in records { roundTrips(redactor.redact(record)) }
    }
}
