import Testing
import JSONKit

@Suite struct CanonicalJSONTests {
    @Test func keepsKeyOrderAndWritesNoWhiteSpace() {
        let value: JSONValue = ["type": "message", "b": 1, "a": [true, .null, "x"]]
        #expect(CanonicalJSON.string(value) == #"{"type":"message","b":1,"a":[true,null,"x"]}"#)
    }

    @Test func escapesControlCharactersAndKeepsUnicode() {
        let value = JSONValue.string("a\"b\\c\nd\te\u{01}f\u{7F}好🤔")
        #expect(CanonicalJSON.string(value) == "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007f好🤔\"")
    }

    @Test func writesDoublesCanonically() {
        #expect(CanonicalJSON.string(.double(1.5)) == "1.5")
        #expect(CanonicalJSON.string(.double(3)) == "3")
        #expect(CanonicalJSON.string(.double(.nan)) == "\"NaN\"")
        #expect(CanonicalJSON.string(.double(-.infinity)) == "\"-Infinity\"")
    }

    @Test func roundTripsThroughTheParser() throws {
        let value: JSONValue = [
            "id": "7400000000000000001", "n": -42, "f": .double(0.25), "s": "雪 ❄︎ \u{0}",
            "nested": ["list": [1, 2, ["k": .null]]], "empty": .object([]), "none": .array([]),
        ]
        let parsed = try JSONParser.parse(CanonicalJSON.encode(value))
        #expect(parsed == value)
        #expect(CanonicalJSON.encode(parsed) == CanonicalJSON.encode(value))
    }

    @Test func parsesEscapesAndSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\u00e9\ud83e\udd14\/""#) == .string("é🤔/"))
    }

    private func failure(_ text: String) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func reportsWhereTheSyntaxBreaks() {
        #expect(failure(#"{"a":1  "b":2}"#) == JSONParseError(offset: 8, message: "unexpected '\"', expected ',' or '}'"))
        #expect(failure(#"{"a": "#) == JSONParseError(offset: 6, message: "unexpected end of line, expected a value"))
        #expect(failure("123x") == JSONParseError(offset: 3, message: "unexpected 'x' after the end of the JSON value"))
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }

    @Test func writesIntegersInDecimal() {
        var values: [UInt64] = [0, 9, 10, 11, 99, 100, 101, 999, 1000, 10_000, 99_999, UInt64(Int64.max), UInt64.max]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(state >> (state % 64))
        }
        for value in values {
            var writer = JSONWriter()
            writer.uint(value)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(value))
            var signed = JSONWriter()
            signed.int(-Int64(truncatingIfNeeded: value >> 1))
            #expect(String(decoding: signed.bytes, as: UTF8.self) == String(-Int64(truncatingIfNeeded: value >> 1)))
            var quoted = JSONWriter()
            quoted.int(-Int64(truncatingIfNeeded: value >> 1), quoted: true)
            quoted.uint(value, quoted: true)
            #expect(String(decoding: quoted.bytes, as: UTF8.self)
                    == "\"\(-Int64(truncatingIfNeeded: value >> 1))\"\"\(value)\"")
        }
    }

    /// Records written key by key as JSON Lines are the canonical JSON of the same records built as values.
    @Test func linesWrittenKeyByKeyMatchTheValues() {
        let objects: [[(String, JSONValue)]] = [
            [], [("type", "frame"), ("line", 3), ("fields", .encoded(EncodedJSON(canonical: Array(#"{"a":[1,2]}"#.utf8))))],
            [("text", "主播 \"hi\"\n"), ("none", .null), ("list", [1, "x", ["k": true]])],
        ]
        func build<Object: JSONObjectSink>(_ pairs: [(String, JSONValue)], _ object: inout Object) {
            for (key, value) in pairs { object.set(key, value) }
        }
        var lines = JSONLines(capacity: 16)
        var values = JSONRecords()
        for pairs in objects {
            lines.addObject(capacity: 4) { build(pairs, &$0) }
            values.addObject(capacity: 4) { build(pairs, &$0) }
            lines.add(.object(pairs))
        }
        let expected = values.records.flatMap { [CanonicalJSON.string($0), CanonicalJSON.string($0)] }.joined(separator: "\n") + "\n"
        #expect(String(decoding: lines.bytes, as: UTF8.self) == expected)
        #expect(lines.count == 6)
    }

    /// A string is checked for UTF-8 as it is written: valid text (escapes past the first eight bytes
    /// included) is written as from a String; invalid bytes anywhere are refused.
    @Test func writesValidUTF8AndRefusesTheRest() {
        let texts = ["", "plain ascii text longer than eight", "主播 🎁 x20", "tab\there and \"quotes\" \\ and \u{7F}",
                     "12345678\n", "çà ü 日本語テキスト 한국어 🙂🙂"]
        for text in texts {
            var checked = JSONWriter()
            let ok = Array(text.utf8).withUnsafeBufferPointer { checked.string(validatingUTF8: $0) }
            #expect(ok)
            var plain = JSONWriter()
            plain.string(text)
            #expect(checked.bytes == plain.bytes)
            #expect((try? JSONParser.parse(checked.bytes)) == .string(text))
        }
        let invalid: [[UInt8]] = [[0xFF], Array("abcdefgh".utf8) + [0xC3], Array("ab".utf8) + [0xE6, 0x97] + Array("cd".utf8),
                                  [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], Array("12345678abcdefg".utf8) + [0x80]]
        for bytes in invalid {
            var writer = JSONWriter()
            #expect(!bytes.withUnsafeBufferPointer { writer.string(validatingUTF8: $0) }, "\(bytes)")
        }
    }

    /// The pointer-written buffer makes the same text as the array writer, growing from a small start,
    /// and forgets what a walk that gave up wrote.
    @Test func bufferWritesTheWritersText() {
        let values: [JSONValue] = [
            .null, true, -12, .double(3.5), .double(.nan), "主播 \"hi\"\n\u{1}\u{7F}", [1, "x", ["k": false, "n": .null]],
            .encoded(EncodedJSON(canonical: Array(#"{"a":[1,2]}"#.utf8))),
            .string(String(repeating: "long text ", count: 40)),
        ]
        var buffer = JSONBuffer(capacity: 1)
        var writer = JSONWriter(capacity: 1)
        for value in values {
            buffer.value(value)
            writer.value(value)
            buffer.int(-9_007_199_254_740_993, quoted: true)
            writer.int(-9_007_199_254_740_993, quoted: true)
        }
        #expect(buffer.copyBytes(0..<buffer.count) == writer.bytes)
        let kept = buffer.count
        buffer.raw(#"{"partial":"#)
        buffer.removeLast(from: kept)
        buffer.append(UInt8(ascii: "!"))
        #expect(buffer.copyBytes(0..<buffer.count) == writer.bytes + [UInt8(ascii: "!")])
        #expect(buffer.copyBytes(2..<5) == Array(writer.bytes[2..<5]))
    }

    /// Runs moved 32 bytes at a time land whole and nothing past them, whatever their length and the room left.
    @Test func paddedRunsAppendExactly() {
        let source = (0..<300).map { UInt8(truncatingIfNeeded: $0) }  // readable past each run, to a multiple of 32
        var buffer = JSONBuffer(capacity: 1)
        var expected: [UInt8] = []
        for count in [0, 1, 5, 16, 31, 32, 33, 63, 64, 65, 100, 7] {
            source.withUnsafeBytes { buffer.appendPadded($0.baseAddress! + count, count: count) }
            expected += source[count..<(2 * count)]
            buffer.append(0xFF)
            expected.append(0xFF)
        }
        #expect(buffer.copyBytes(0..<buffer.count) == expected)
    }
}
