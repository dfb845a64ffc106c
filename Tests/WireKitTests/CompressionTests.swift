import Testing
import WireKit

/// Deterministic pseudo-random, moderately compressible bytes.
func sampleBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var out: [UInt8] = []
    out.reserveCapacity(count)
    let words = Array("WebcastChatMessage WebcastGiftMessage user nickname hello 🎉 ".utf8)
    while out.count < count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        if state >> 60 < 10 {
            out.append(words[Int(state >> 32) % words.count])
        } else {
            out.append(UInt8(truncatingIfNeeded: state >> 40))
        }
    }
    return out
}

func inflateError(_ body: () throws(InflateError) -> [UInt8]) -> InflateError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

@Suite("Inflate / Deflate")
struct CompressionTests {
    @Test func gunzipRoundTrip() throws {
        for size in [0, 1, 100, 70_000, 1_000_000] {
            let data = sampleBytes(size)
            let gz = Deflate.gzip(data)
            #expect(Inflate.looksLikeGzip(gz))
            #expect(try Inflate.gunzip(gz) == data)
        }
    }

    @Test func gunzipReadsStandardGzipWithFileName() throws {
        // `gzip -c hello.txt` (FNAME flag, mtime, OS 3).
        let gz: [UInt8] = [
            0x1F, 0x8B, 0x08, 0x08, 0xCD, 0xB1, 0x0C, 0x6B, 0x00, 0x03, 0x68, 0x65,
            0x6C, 0x6C, 0x6F, 0x2E, 0x74, 0x78, 0x74, 0x00, 0xCB, 0x48, 0xCD, 0xC9,
            0xC9, 0xE7, 0x02, 0x00, 0x20, 0x30, 0x3A, 0x36, 0x06, 0x00, 0x00, 0x00,
        ]
        #expect(try Inflate.gunzip(gz) == Array("hello\n".utf8))
    }

    @Test func concatenatedMembers() throws {
        let a = sampleBytes(5000, seed: 1)
        let b = sampleBytes(300, seed: 2)
        let both = Deflate.gzip(a) + Deflate.gzip(b, level: 9)
        #expect(try Inflate.gunzip(both) == a + b)
        // Zero padding after the last member is ignored.
        #expect(try Inflate.gunzip(both + [0, 0, 0, 0]) == a + b)
    }

    @Test func trailingGarbageIsCorruptAtItsOffset() {
        let gz = Deflate.gzip(Array("hello".utf8))
        let e = inflateError { () throws(InflateError) in try Inflate.gunzip(gz + [0x41, 0x42]) }
        #expect(e == InflateError(reason: .corrupt("trailing garbage after gzip member"), inputOffset: gz.count, outputCount: 5))
    }

    @Test func corruptBlockTypeReportsOffset() {
        // Header (10 bytes), then a deflate block with BTYPE = 3 (reserved).
        let gz: [UInt8] = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF, 0x07, 0x00, 0x00, 0x00]
        let e = inflateError { () throws(InflateError) in try Inflate.gunzip(gz) }
        #expect(e?.reason == .corrupt("invalid block type"))
        #expect(e?.inputOffset == 11)
        #expect(e?.description == "corrupt compressed data (invalid block type) at input byte 11")
    }

    @Test func corruptChecksum() {
        var gz = Deflate.gzip(sampleBytes(1000))
        gz[gz.count - 8] ^= 0xFF  // CRC-32
        let e = inflateError { () throws(InflateError) in try Inflate.gunzip(gz) }
        #expect(e?.reason == .corrupt("incorrect data check"))
        #expect(e?.outputCount == 1000)
        #expect(e.map { $0.inputOffset > 10 && $0.inputOffset <= gz.count } == true)
    }

    @Test func notGzipAtAll() {
        let e = inflateError { () throws(InflateError) in try Inflate.gunzip(Array("plain text, not gzip".utf8)) }
        #expect(e?.reason == .corrupt("incorrect header check"))
        #expect(!Inflate.looksLikeGzip(Array("plain".utf8)))
        #expect(!Inflate.looksLikeGzip([0x1F, 0x8B]))
    }

    @Test func truncatedGzip() {
        let data = sampleBytes(50_000)
        let gz = Deflate.gzip(data)
        let cut = Array(gz[0..<(gz.count / 2)])
        let e = inflateError { () throws(InflateError) in try Inflate.gunzip(cut) }
        #expect(e?.reason == .truncated)
        #expect(e?.inputOffset == cut.count)
        #expect(e.map { $0.outputCount > 0 && $0.outputCount < data.count } == true)
        // Missing only the trailer.
        let noTrailer = Array(gz.dropLast(8))
        #expect(inflateError { () throws(InflateError) in try Inflate.gunzip(noTrailer) }?.reason == .truncated)
        #expect(inflateError { () throws(InflateError) in try Inflate.gunzip([]) } == InflateError(reason: .truncated, inputOffset: 0))
    }

    @Test func gzipBombStopsAtLimit() {
        let zeros = [UInt8](repeating: 0, count: 10 * 1024 * 1024)
        let bomb = Deflate.gzip(zeros, level: 9)
        #expect(bomb.count < 20_000)
        let limit = 1024 * 1024
        let e = inflateError { () throws(InflateError) in try Inflate.gunzip(bomb, limit: limit) }
        #expect(e?.reason == .outputLimitExceeded(limit: limit))
        #expect(e?.outputCount == limit)
        #expect(e.map { $0.inputOffset < bomb.count } == true)
    }

    @Test func outputExactlyAtLimitIsAllowed() throws {
        let data = sampleBytes(4096)
        #expect(try Inflate.gunzip(Deflate.gzip(data), limit: 4096) == data)
        let e = inflateError { () throws(InflateError) in try Inflate.gunzip(Deflate.gzip(data), limit: 4095) }
        #expect(e?.reason == .outputLimitExceeded(limit: 4095))
        #expect(try Inflate.gunzip(Deflate.gzip([]), limit: 0) == [])
    }

    @Test func lyingSizeTrailerDoesNotMatter() {
        var gz = Deflate.gzip(sampleBytes(2000))
        gz[gz.count - 1] = 0x7F  // ISIZE claims ~2 GB
        let e = inflateError { () throws(InflateError) in try Inflate.gunzip(gz, limit: 1 << 20) }
        #expect(e?.reason == .corrupt("incorrect length check"))
    }

    /// A whole payload is inflated by libdeflate into a buffer of the trailer's size; a trailer that
    /// says less or more than the data holds (within the limit) is zlib's to name.
    @Test func aSizeTrailerOffByOneEitherWayIsNamed() {
        let gz = Deflate.gzip(sampleBytes(3000))
        for delta in [-1, 1] {
            var wrong = gz
            let size = UInt32(3000 + delta)
            wrong.replaceSubrange((gz.count - 4)..., with: [UInt8(size & 0xFF), UInt8(size >> 8), 0, 0])
            let e = inflateError { () throws(InflateError) in try Inflate.gunzip(wrong) }
            #expect(e?.reason == .corrupt("incorrect length check"))
            #expect(e?.outputCount == 3000)
        }
    }

    @Test func zlibAndRawRoundTrip() throws {
        let data = sampleBytes(20_000)
        for format in [CompressionFormat.zlib, .raw, .gzip] {
            let packed = Deflate.deflate(data, format: format)
            #expect(try Inflate.inflate(packed, format: format) == data)
        }
        #expect(Deflate.deflate(data, format: .zlib).first == 0x78)
        let raw = Deflate.deflate(data, format: .raw)
        let e = inflateError { () throws(InflateError) in try Inflate.inflate(raw + [1], format: .raw) }
        #expect(e == InflateError(reason: .corrupt("trailing data after end of stream"), inputOffset: raw.count, outputCount: data.count))
    }

    @Test func deterministicGzip() {
        let data = sampleBytes(30_000)
        let a = Deflate.gzip(data)
        let b = Deflate.gzip(Array(data))
        #expect(a == b)
        #expect(Array(a[0..<10]) == [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF])
        #expect(Deflate.gzip(data, level: 9)[8] == 2)
        #expect(Deflate.gzip(data, level: 1)[8] == 4)
        // ISIZE trailer.
        let n = a.count
        let isize: UInt32 = UInt32(a[n - 4]) | UInt32(a[n - 3]) << 8 | UInt32(a[n - 2]) << 16 | UInt32(a[n - 1]) << 24
        #expect(isize == 30_000)
    }
}

@Suite("Streaming inflate")
struct StreamingTests {
    let first = Array(String(repeating: "WebcastChatMessage {user: alice, content: hello there} ", count: 20).utf8)
    let second = Array(String(repeating: "WebcastChatMessage {user: alice, content: hello there} ", count: 21).utf8)

    @Test func contextTakeoverAcrossMessages() throws {
        let deflater = StreamingDeflater()
        let m1 = deflater.deflate(first)
        let m2 = deflater.deflate(second)
        #expect(m2.count < m1.count)  // refers back into message 1's window
        #expect(m1.suffix(4) != [0, 0, 0xFF, 0xFF])

        let inflater = StreamingInflater()
        #expect(try inflater.inflate(m1) == first)
        #expect(try inflater.inflate(m2) == second)

        // Without the first message's window, message 2 cannot be decoded.
        let fresh = StreamingInflater()
        #expect(throws: InflateError.self) { try fresh.inflate(m2) }
        // ... and after reset() the inflater still works for stand-alone messages.
        fresh.reset()
        #expect(try fresh.inflate(m1) == first)
    }

    @Test func noContextTakeover() throws {
        let deflater = StreamingDeflater(contextTakeover: false)
        let m1 = deflater.deflate(first)
        let m2 = deflater.deflate(first)
        #expect(m1 == m2)
        #expect(try StreamingInflater().inflate(m2) == first)
    }

    @Test func finalBlockMessageAndLimit() throws {
        let inflater = StreamingInflater()
        // A message that ends its deflate stream (BFINAL), as some senders emit.
        let final = Deflate.deflate(first, format: .raw)
        #expect(try inflater.inflate(final) == first)
        let deflater = StreamingDeflater()
        #expect(try inflater.inflate(deflater.deflate(second)) == second)

        let e: InflateError?
        do {
            _ = try StreamingInflater().inflate(StreamingDeflater().deflate(first), limit: 100)
            e = nil
        } catch {
            e = error
        }
        #expect(e?.reason == .outputLimitExceeded(limit: 100))
        #expect(e?.outputCount == 100)
    }
}
