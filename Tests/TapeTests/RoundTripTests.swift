import Foundation
import Testing
@testable import Tape

@Suite struct RoundTripTests {
    @Test func everyRecordKindRoundTripsInMemory() throws {
        let reader = try TapeReader(bytes: encodedTape(Sample.records))
        #expect(reader.header == Sample.header)
        let read = entries(reader)
        #expect(read.count == Sample.records.count)
        for (entry, expected) in zip(read, Sample.records) {
            #expect(try entry.result.get() == expected)
        }
        #expect(read.map(\.line) == Array(2..<(2 + Sample.records.count)))
        let kinds = Set(Sample.records.map(\.kind))
        #expect(kinds == Set(TapeFormat.recordKinds))
    }

    @Test func everyRecordKindRoundTripsThroughAFile() throws {
        let path = temporaryPath()
        let writer = try TapeWriter(path: path, header: Sample.header)
        for record in Sample.records { try writer.append(record) }
        #expect(writer.recordCount == Sample.records.count)
        try writer.close()
        let reader = try TapeReader(path: path)
        #expect(reader.header == Sample.header)
        #expect(records(reader) == Sample.records)
        #expect(failures(reader).isEmpty)
        // The file is exactly the encoder's output.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes == encodedTape(Sample.records))
    }

    @Test func smallChunksGiveTheSameResultAndIterationRepeats() throws {
        let path = temporaryPath()
        try Data(encodedTape(Sample.records)).write(to: URL(fileURLWithPath: path))
        let reader = try TapeReader(path: path, options: .init(chunkBytes: 16))
        #expect(records(reader) == Sample.records)
        #expect(records(reader) == Sample.records, "a second iteration re-reads from the first record")
    }

    @Test func textBodiesAreStoredAsText() throws {
        let record = TapeRecord.wsMessage(WebSocketMessage(timeMicros: 1, conn: 1, direction: .send, opcode: .text, payload: "tab\there \"q\" \\ é"))
        let text = line(record)
        #expect(text.contains(#""payload":{"text":"tab\there \"q\" \\ é"}"#))
        #expect(!text.contains("base64"))
        #expect(records(try TapeReader(bytes: encodedTape([record]))) == [record])
    }

    @Test(arguments: [
        Sample.binary,
        [0xC3, 0x28],               // invalid UTF-8
        [0x68, 0x69, 0x00],         // valid UTF-8 but contains NUL
        [0x7F],                     // DEL
        [0xED, 0xA0, 0x80],         // encoded surrogate: invalid UTF-8
        Array(0...255).map(UInt8.init),
    ] as [[UInt8]])
    func binaryBodiesAreStoredAsBase64(bytes: [UInt8]) throws {
        let record = TapeRecord.wsMessage(WebSocketMessage(timeMicros: 1, conn: 1, direction: .recv, payload: Body(bytes)))
        let text = line(record)
        #expect(text.contains(#""payload":{"base64":""#))
        #expect(text.contains("\"base64\":\"\(Data(bytes).base64EncodedString())\""))
        #expect(records(try TapeReader(bytes: encodedTape([record]))) == [record])
    }

    @Test func emptyBodiesAreOmitted() {
        let text = line(.http(HTTPExchange(timeMicros: 7, request: HTTPRequest(url: "http://x/"), response: HTTPResponse(status: 204))))
        #expect(text == #"{"t_us":7,"kind":"http","request":{"method":"GET","url":"http://x/","headers":[]},"response":{"status":204,"headers":[]}}"#)
    }

    @Test func outputIsCanonical() {
        let record = TapeRecord.wsMessage(WebSocketMessage(timeMicros: 12, conn: 3, direction: .recv, opcode: .binary, payload: Body([0x3A, 0x02, 0x68, 0x62]), compressed: true))
        #expect(line(record) == #"{"t_us":12,"kind":"ws_message","conn":3,"dir":"recv","opcode":"binary","compressed":true,"payload":{"base64":"OgJoYg=="}}"#)
        #expect(String(decoding: TapeEncoder.encode(Sample.header), as: UTF8.self)
            == #"{"format":"livetape-tape","version":1,"created":"2026-11-29T12:00:00Z","source":{"kind":"synth","detail":"TapeTests"},"redacted":["x-api-key","cookie:sessionid"]}"# + "\n")
        #expect(line(.wsClose(WebSocketClose(timeMicros: 1, conn: 2, code: 1000, reason: "bye", by: .client)))
            == #"{"t_us":1,"kind":"ws_close","conn":2,"by":"client","code":1000,"reason":"bye"}"#)
        #expect(line(.gap(CaptureGap(timeMicros: 1, conn: 2, direction: .send, length: 99)))
            == #"{"t_us":1,"kind":"gap","conn":2,"dir":"send","length":99}"#)
        // Equal records give identical bytes.
        #expect(encodedTape(Sample.records) == encodedTape(Sample.records.map { $0 }))
        var buffer: [UInt8] = Array("prefix".utf8)
        TapeEncoder.encode(record, into: &buffer)
        #expect(buffer == Array("prefix".utf8) + TapeEncoder.encode(record))
    }

    @Test func controlCharactersAndUnicodeInStringsRoundTrip() throws {
        let odd = "a\u{01}b\u{1F}c\"d\\e\r\n\t/é😀\u{2028}"
        let record = TapeRecord.http(HTTPExchange(
            timeMicros: 5, request: HTTPRequest(url: "http://x/?q=\(odd)", headers: [HTTPHeader(odd, odd)]),
            response: HTTPResponse(status: 500, reason: odd), error: odd))
        let text = line(record)
        #expect(text.contains(#"a\u0001b\u001fc\"d\\e\r\n\t/é😀"#))
        #expect(records(try TapeReader(bytes: encodedTape([record]))) == [record])
    }

    @Test func handWrittenLinesWithEscapesNullsAndUnknownFieldsAreRead() throws {
        let bytes = tape([
            #"{"t_us":1,"kind":"ws_message","conn":7,"dir":"recv","opcode":2,"payload":{"text":"\u00e9\ud83d\ude00\/"},"future_field":{"deep":[1,2.5e3,true,null]},"compressed":null}"#,
            #"{"kind":"ws_close","t_us":2,"conn":7,"by":"abnormal","reason":null,"code":null}"#,
            #"  {"t_us":3,"kind":"http","request":{"method":"GET","url":"u"},"response":{"status":200,"body":{"base64":"aGk"}}}  "#,
        ])
        let reader = try TapeReader(bytes: bytes)
        #expect(failures(reader).isEmpty)
        #expect(records(reader) == [
            .wsMessage(WebSocketMessage(timeMicros: 1, conn: 7, direction: .recv, opcode: .binary, payload: Body(Array("é😀/".utf8)))),
            .wsClose(WebSocketClose(timeMicros: 2, conn: 7, by: .abnormal)),
            .http(HTTPExchange(timeMicros: 3, request: HTTPRequest(url: "u"), response: HTTPResponse(status: 200, body: "hi"))),
        ])
    }

    @Test func headerTimestampIsRFC3339UTC() {
        #expect(TapeHeader.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(TapeHeader.timestamp(Date(timeIntervalSince1970: 1_800_000_000.9)) == "2027-01-15T08:00:00Z")
    }

    @Test func headerLookupIsCaseInsensitiveAndKeepsDuplicates() {
        let headers = [HTTPHeader("Accept", "a"), HTTPHeader("X-Y", "1"), HTTPHeader("accept", "b")]
        #expect(headers.values(for: "ACCEPT") == ["a", "b"])
        #expect(headers.value(for: "x-y") == "1")
        #expect(headers.value(for: "missing") == nil)
    }

    @Test func base64MatchesFoundation() throws {
        for count in 0..<70 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            var out: [UInt8] = []
            Base64.encode(bytes, into: &out)
            let text = Data(bytes).base64EncodedString()
            #expect(String(decoding: out, as: UTF8.self) == text)
            #expect(try Base64.decode(Array(text.utf8)).get() == bytes)
            let unpadded = text.replacingOccurrences(of: "=", with: "")
            #expect(try Base64.decode(Array(unpadded.utf8)).get() == bytes)
        }
        #expect((try? Base64.decode(Array("abcde".utf8)).get()) == nil)
        // The index of the first bad character, in a whole group or in the last, short one.
        for (text, index) in [("a$bc", 1), ("AAAAAAA*AAAA", 7), ("AAAAA!A", 5), ("AAAAAA=A", 6)] {
            guard case .failure(let error) = Base64.decode(Array(text.utf8)) else {
                Issue.record("\(text) decoded")
                continue
            }
            #expect(error.index == index, "\(text)")
        }
    }
}
