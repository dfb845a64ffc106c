// Capped decompression and deterministic compression over the system zlib, with libdeflate for
// whole gzip payloads.

import CLibdeflate
import Glibc
import CZlib

/// The three deflate container formats.
public enum CompressionFormat: Sendable, Hashable {
    /// RFC 1952 gzip member(s).
    case gzip
    /// RFC 1950 zlib stream.
    case zlib
    /// RFC 1951 raw deflate (no header or checksum).
    case raw

    var windowBits: Int32 {
        switch self {
        case .gzip: return 15 + 16
        case .zlib: return 15
        case .raw: return -15
        }
    }
}

/// A decompression failure.
public struct InflateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why decompression stopped.
    public enum Reason: Sendable, Hashable {
        /// The output would exceed `limit` bytes (at most `limit` bytes were kept).
        case outputLimitExceeded(limit: Int)
        /// The data is invalid; the payload is zlib's message (or ours for trailing garbage).
        case corrupt(String)
        /// The input ended before the end of the compressed stream.
        case truncated
    }

    /// Why decompression stopped.
    public var reason: Reason
    /// Bytes of input consumed when it failed.
    public var inputOffset: Int
    /// Bytes of output produced before it failed.
    public var outputCount: Int

    /// Creates an error.
    public init(reason: Reason, inputOffset: Int, outputCount: Int = 0) {
        self.reason = reason
        self.inputOffset = inputOffset
        self.outputCount = outputCount
    }

    /// e.g. "corrupt compressed data (invalid block type) at input byte 12".
    public var description: String {
        switch reason {
        case .outputLimitExceeded(let limit):
            return "decompressed output exceeds limit of \(limit) bytes at input byte \(inputOffset)"
        case .corrupt(let msg):
            return "corrupt compressed data (\(msg)) at input byte \(inputOffset)"
        case .truncated:
            return "compressed data truncated after \(inputOffset) input bytes (\(outputCount) bytes decompressed)"
        }
    }
}

/// One-shot decompression with an output cap.
public enum Inflate {
    /// Default output cap: 64 MiB.
    public static let defaultLimit = 64 * 1024 * 1024

    /// True when `bytes` start with the gzip magic `1f 8b 08` (deflate method).
    @inlinable
    public static func looksLikeGzip<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> Bool {
        guard bytes.count >= 3 else { return false }
        let start = bytes.startIndex
        return bytes[start] == 0x1F && bytes[bytes.index(after: start)] == 0x8B && bytes[bytes.index(start, offsetBy: 2)] == 0x08
    }

    /// Decompresses gzip data: one or more concatenated members (like `gzip -d`).
    /// Trailing zero bytes after a member are ignored; any other trailing bytes that do not
    /// start a new member are `.corrupt("trailing garbage after gzip member")` at their offset.
    /// Fails with `.outputLimitExceeded` once output would pass `limit`; the output buffer
    /// never grows beyond `limit + 1` bytes.
    public static func gunzip(_ bytes: [UInt8], limit: Int = defaultLimit) throws(InflateError) -> [UInt8] {
        try inflate(bytes, format: .gzip, limit: limit)
    }

    /// ``gunzip(_:limit:)`` of part of a buffer, without copying it out first.
    public static func gunzip(_ bytes: ArraySlice<UInt8>, limit: Int = defaultLimit) throws(InflateError) -> [UInt8] {
        try bytes.withUnsafeBufferPointer { (input) throws(InflateError) -> [UInt8] in
            try inflate(input, format: .gzip, limit: limit)
        }
    }

    /// Decompresses a whole stream in `format` (`.gzip` behaves like ``gunzip(_:limit:)``).
    /// For `.zlib` and `.raw`, bytes after the end of the stream are
    /// `.corrupt("trailing data after end of stream")`.
    public static func inflate(
        _ bytes: [UInt8], format: CompressionFormat, limit: Int = defaultLimit
    ) throws(InflateError) -> [UInt8] {
        try bytes.withUnsafeBufferPointer { (input) throws(InflateError) -> [UInt8] in
            try inflate(input, format: format, limit: limit)
        }
    }

    private static func inflate(
        _ input: UnsafeBufferPointer<UInt8>, format: CompressionFormat, limit: Int
    ) throws(InflateError) -> [UInt8] {
        precondition(limit >= 0, "negative limit")
        if format == .gzip, let whole = WholeGzip.inflate(input, limit: limit) { return whole }
        var job = OneShotInflate(input: input, format: format, limit: limit)
        defer { job.finish() }
        return try job.run()
    }

    /// The uncompressed-size hint from a gzip trailer (ISIZE), when plausible.
    static func gzipSizeHint(_ input: UnsafeBufferPointer<UInt8>) -> Int? {
        guard input.count >= 18 else { return nil }
        let n = input.count
        let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
        // deflate cannot expand more than ~1032:1.
        guard isize > 0, isize <= n * 1032 + 1024 else { return nil }
        return isize
    }
}

/// The fast path for the common gzip payload: one member whose trailer's size (ISIZE) is right
/// and within the limit, inflated by libdeflate straight into a buffer of that size. Anything
/// else (a wrong or implausible size, several members, trailing bytes, corrupt data) returns nil
/// and takes zlib's path, which says what is wrong and where.
private enum WholeGzip {
    static func inflate(_ input: UnsafeBufferPointer<UInt8>, limit: Int) -> [UInt8]? {
        guard let size = Inflate.gzipSizeHint(input), size <= limit, let decompressor = threadDecompressor()
        else { return nil }
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var consumed = 0, produced = 0
            let result = libdeflate_gzip_decompress_ex(decompressor, input.baseAddress, input.count,
                                                       buffer.baseAddress, size, &consumed, &produced)
            ok = result == LIBDEFLATE_SUCCESS && consumed == input.count && produced == size
            count = ok ? produced : 0
        }
        return ok ? out : nil
    }

    /// Each thread's decompressor, made on first use and freed when the thread exits.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { libdeflate_free_decompressor(OpaquePointer($0)) }
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
        return key
    }()

    private static func threadDecompressor() -> OpaquePointer? {
        if let existing = pthread_getspecific(key) { return OpaquePointer(existing) }
        guard let made = libdeflate_alloc_decompressor() else { return nil }
        pthread_setspecific(key, UnsafeRawPointer(made))
        return made
    }
}

/// State of one `Inflate.inflate` call.
private struct OneShotInflate {
    let input: UnsafeBufferPointer<UInt8>
    let format: CompressionFormat
    let limit: Int
    let maxCapacity: Int
    var stream: UnsafeMutablePointer<z_stream>
    var fed = 0  // input bytes handed to zlib so far

    init(input: UnsafeBufferPointer<UInt8>, format: CompressionFormat, limit: Int) {
        self.input = input
        self.format = format
        self.limit = limit
        self.maxCapacity = limit == Int.max ? limit : limit + 1  // one byte of headroom detects overflow
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, format.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "inflateInit2 failed: \(rc)")
    }

    func finish() {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Bytes of input consumed by zlib.
    var consumed: Int { fed - Int(stream.pointee.avail_in) }

    mutating func refill() {
        if stream.pointee.avail_in == 0 && fed < input.count {
            let n = min(input.count - fed, Int(UInt32.max))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + fed)
            stream.pointee.avail_in = UInt32(n)
            fed += n
        }
    }

    func fail(_ reason: InflateError.Reason, output: Int) -> InflateError {
        InflateError(reason: reason, inputOffset: consumed, outputCount: output)
    }

    func zlibMessage(_ rc: Int32) -> String {
        if let m = stream.pointee.msg { return String(cString: m) }
        return "zlib error \(rc)"
    }

    mutating func run() throws(InflateError) -> [UInt8] {
        if input.isEmpty { throw InflateError(reason: .truncated, inputOffset: 0) }
        let guess: Int
        if format == .gzip, let hint = Inflate.gzipSizeHint(input) {
            guess = hint + 1
        } else {
            guess = max(4096, input.count.multipliedReportingOverflow(by: 4).partialValue)
        }
        var capacity = max(1, min(maxCapacity, guess))
        var out: [UInt8] = []
        while true {
            var finished = false
            var failure: InflateError?
            let previous = out
            out = [UInt8](unsafeUninitializedCapacity: capacity) { buf, count in
                let base = buf.baseAddress!
                previous.withUnsafeBufferPointer { old in
                    if old.count > 0 { base.initialize(from: old.baseAddress!, count: old.count) }
                }
                count = previous.count
                do throws(InflateError) {
                    finished = try pump(into: base, count: &count, capacity: capacity)
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            if out.count > limit {
                throw fail(.outputLimitExceeded(limit: limit), output: limit)
            }
            if finished { return out }
            // Output full: grow (doubling, capped at limit + 1).
            capacity = min(maxCapacity, max(capacity * 2, 64 * 1024))
        }
    }

    /// Inflates into `base[count..<capacity]`. Returns true at the end of data, false when
    /// the output space is full.
    mutating func pump(
        into base: UnsafeMutablePointer<UInt8>, count: inout Int, capacity: Int
    ) throws(InflateError) -> Bool {
        while true {
            if count == capacity { return false }
            let space = min(capacity - count, Int(UInt32.max))
            stream.pointee.next_out = base + count
            stream.pointee.avail_out = UInt32(space)
            refill()
            let rc = CZlib.inflate(stream, Z_NO_FLUSH)
            count += space - Int(stream.pointee.avail_out)
            switch rc {
            case Z_STREAM_END:
                if count > limit { return true }  // reported by the caller
                // Anything after the end of the stream?
                var at = consumed
                if at == input.count { return true }
                guard format == .gzip else {
                    throw fail(.corrupt("trailing data after end of stream"), output: count)
                }
                if input[at] == 0x1F, at + 1 >= input.count || input[at + 1] == 0x8B {
                    inflateReset(stream)  // next member; keep the pending input
                    continue
                }
                while at < input.count && input[at] == 0 { at += 1 }
                if at == input.count { return true }
                throw InflateError(
                    reason: .corrupt("trailing garbage after gzip member"), inputOffset: at, outputCount: count)
            case Z_OK, Z_BUF_ERROR:
                if stream.pointee.avail_out == 0 { continue }  // full: loop returns false
                if stream.pointee.avail_in == 0 && fed == input.count {
                    throw fail(.truncated, output: count)
                }
            case Z_NEED_DICT:
                throw fail(.corrupt("preset dictionary required"), output: count)
            case Z_MEM_ERROR:
                throw fail(.corrupt("out of memory"), output: count)
            default:
                throw fail(.corrupt(zlibMessage(rc)), output: count)
            }
        }
    }
}

/// Deterministic one-shot compression.
///
/// The same input, level and zlib build always give the same bytes. gzip output is
/// written by hand around raw deflate: header `1f 8b 08`, no flags, MTIME 0, XFL as zlib
/// sets it (2 for level 9, 4 for level 1, else 0), OS 255 (unknown), then CRC-32 and ISIZE.
public enum Deflate {
    /// gzip-compresses `bytes` (a single member). `level` is -1 (default) or 0...9.
    public static func gzip(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        deflate(bytes, format: .gzip, level: level)
    }

    /// Compresses `bytes` in `format`. `level` is -1 (default) or 0...9.
    public static func deflate(_ bytes: [UInt8], format: CompressionFormat, level: Int32 = 6) -> [UInt8] {
        precondition((-1...9).contains(level), "compression level must be -1...9")
        let body = rawOrZlib(bytes, windowBits: format == .zlib ? 15 : -15, level: level)
        guard format == .gzip else { return body }
        let xfl: UInt8 = level == 9 ? 2 : (level == 1 ? 4 : 0)
        var out: [UInt8] = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, xfl, 0xFF]
        out.reserveCapacity(body.count + 18)
        out.append(contentsOf: body)
        let crc = bytes.withUnsafeBufferPointer { b -> UInt32 in
            var c: uLong = crc32(0, nil, 0)
            var offset = 0
            while offset < b.count {
                let n = min(b.count - offset, Int(UInt32.max))
                c = crc32(c, b.baseAddress! + offset, uInt(n))
                offset += n
            }
            return UInt32(truncatingIfNeeded: c)
        }
        let isize = UInt32(truncatingIfNeeded: bytes.count)
        for v in [crc, isize] {
            out.append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)])
        }
        return out
    }

    private static func rawOrZlib(_ bytes: [UInt8], windowBits: Int32, level: Int32) -> [UInt8] {
        precondition(bytes.count <= Int(UInt32.max), "input too large for one-shot deflate")
        let strm = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        strm.initialize(to: z_stream())
        defer {
            deflateEnd(strm)
            strm.deinitialize(count: 1)
            strm.deallocate()
        }
        let rc = deflateInit2_(
            strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "deflateInit2 failed: \(rc)")
        let bound = Int(deflateBound(strm, uLong(bytes.count)))
        return bytes.withUnsafeBufferPointer { input in
            [UInt8](unsafeUninitializedCapacity: bound) { out, count in
                strm.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                strm.pointee.avail_in = UInt32(input.count)
                strm.pointee.next_out = out.baseAddress
                strm.pointee.avail_out = UInt32(bound)
                let rc = CZlib.deflate(strm, Z_FINISH)
                precondition(rc == Z_STREAM_END, "deflate did not finish within deflateBound: \(rc)")
                count = bound - Int(strm.pointee.avail_out)
            }
        }
    }
}
