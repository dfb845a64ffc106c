import Testing
import WireKit

@Suite("Pasted payloads")
struct PastedBytesTests {
    @Test("hex forms", arguments: [
        "089601",
        "08 96 01",
        "08:96:01",
        "0x08, 0x96, 0x01",
        "0X08 0x96\n0x01\n",
        "  08\t96 01  ",
        "0x089601",
    ])
    func hex(_ text: String) {
        let r = PastedBytes.decode(text)
        #expect(r.encoding == .hex)
        #expect(r.bytes == [0x08, 0x96, 0x01])
    }

    @Test func hexWinsOverBase64() {
        let r = PastedBytes.decode("DEADbeef")
        #expect(r.encoding == .hex)
        #expect(r.bytes == [0xDE, 0xAD, 0xBE, 0xEF])
    }

    @Test func base64Forms() {
        let hello = Array("hello world".utf8)
        #expect(PastedBytes.decode("aGVsbG8gd29ybGQ=") == (hello, .base64))
        #expect(PastedBytes.decode("aGVsbG8gd29ybGQ") == (hello, .base64))
        #expect(PastedBytes.decode("aGVs\nbG8g\r\nd29y bGQ=\n") == (hello, .base64))
        #expect(PastedBytes.decode("CJYB") == ([0x08, 0x96, 0x01], .base64))
        #expect(PastedBytes.decode("+/8=") == ([0xFB, 0xFF], .base64))
        #expect(PastedBytes.decode("-_8") == ([0xFB, 0xFF], .base64))
    }

    @Test func binaryFallbacks() {
        let frame: [UInt8] = [0x08, 0x96, 0x01, 0x3A, 0x02, 0x68, 0x62]
        #expect(PastedBytes.decode(frame) == (frame, .binary))
        // Odd number of hex digits whose base64 reading is not canonical.
        #expect(PastedBytes.decode("089").encoding == .binary)
        // Mixed base64 alphabets, punctuation, data after padding.
        #expect(PastedBytes.decode("+-AA").encoding == .binary)
        #expect(PastedBytes.decode("hello world!").encoding == .binary)
        #expect(PastedBytes.decode("aGk=aGk=").encoding == .binary)
        #expect(PastedBytes.decode([]) == ([], .binary))
        let text = Array("hb".utf8)  // not canonical base64 (low bits set)
        #expect(PastedBytes.decode(text) == (text, .binary))
    }
}
