// Raw-deflate streams that keep their window across messages (WebSocket permessage-deflate).

import CZlib

/// The 4 bytes a permessage-deflate sender strips from each message (RFC 7692 §7.2.1).
public let deflateSyncTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

/// Inflates a sequence of raw-deflate messages that share one LZ77 window
/// ("context takeover"). Not thread-safe. After any thrown error the stream is reset
/// (the window is lost), so the next message must not depend on earlier ones.
public final class StreamingInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch = [UInt8](repeating: 0, count: 32 * 1024)

    /// Creates an inflater with an empty window of 2^`windowBits` bytes (8...15; raw deflate).
    /// A stream that reaches farther back than the window fails as corrupt.
    public init(windowBits: Int = 15) {
        precondition((8...15).contains(windowBits), "window bits must be 8...15")
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, -Int32(windowBits), zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "inflateInit2 failed: \(rc)")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Forgets the window (use when the peer negotiated no_context_takeover).
    public func reset() {
        inflateReset(stream)
    }

    /// Inflates one message. With `appendSyncTail` the stripped `00 00 ff ff` is fed after
    /// `chunk` (skipped when `chunk` ends a deflate stream with a BFINAL block; the next
    /// message then starts a fresh stream). Returns all output the input makes available.
    /// `inputOffset` in errors is within `chunk` (clamped to its length).
    public func inflate(
        _ chunk: [UInt8], appendSyncTail: Bool = true, limit: Int = Inflate.defaultLimit
    ) throws(InflateError) -> [UInt8] {
        precondition(limit >= 0, "negative limit")
        var out: [UInt8] = []
        do {
            let ended = try feed(chunk, base: 0, chunkCount: chunk.count, into: &out, scratch: &scratch, limit: limit)
            // After a final block the stream is over; the sync tail would start a bogus new one.
            if appendSyncTail && !ended {
                _ = try feed(deflateSyncTail, base: chunk.count, chunkCount: chunk.count, into: &out, scratch: &scratch, limit: limit)
            }
        } catch {
            inflateReset(stream)
            throw error
        }
        return out
    }

    /// Returns true when the input ended exactly at the end of a deflate stream.
    private func feed(
        _ input: [UInt8], base: Int, chunkCount: Int, into out: inout [UInt8], scratch: inout [UInt8], limit: Int
    ) throws(InflateError) -> Bool {
        if input.isEmpty { return false }
        return try input.withUnsafeBufferPointer { (inBuf) throws(InflateError) -> Bool in
            try scratch.withUnsafeMutableBufferPointer { (tmp) throws(InflateError) -> Bool in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.pointee.avail_in = UInt32(inBuf.count)
                while true {
                    stream.pointee.next_out = tmp.baseAddress
                    stream.pointee.avail_out = UInt32(tmp.count)
                    let rc = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    let produced = tmp.count - Int(stream.pointee.avail_out)
                    let offset = min(chunkCount, base + inBuf.count - Int(stream.pointee.avail_in))
                    if out.count + produced > limit {
                        out.append(contentsOf: tmp[0..<(limit - out.count)])
                        throw InflateError(reason: .outputLimitExceeded(limit: limit), inputOffset: offset, outputCount: limit)
                    }
                    out.append(contentsOf: tmp[0..<produced])
                    switch rc {
                    case Z_STREAM_END:
                        inflateReset(stream)  // BFINAL seen: what follows is a new stream
                        if stream.pointee.avail_in == 0 { return true }
                    case Z_OK, Z_BUF_ERROR:
                        if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return false }
                    case Z_NEED_DICT:
                        throw InflateError(reason: .corrupt("preset dictionary required"), inputOffset: offset, outputCount: out.count)
                    default:
                        let msg = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                        throw InflateError(reason: .corrupt(msg), inputOffset: offset, outputCount: out.count)
                    }
                }
            }
        }
    }
}

/// Deflates a sequence of messages into one raw-deflate stream, each ending on a sync
/// flush, as a permessage-deflate sender does. Deterministic for a given zlib build.
public final class StreamingDeflater {
    private let stream: UnsafeMutablePointer<z_stream>
    /// When false, the window is reset after every message (no_context_takeover).
    public let contextTakeover: Bool

    /// Creates a deflater. `level` is -1 (default) or 0...9; `windowBits` (8...15) is log2 of
    /// the largest window the peer's inflater keeps. zlib compresses raw deflate with at least
    /// 9 bits, whose farthest match (250 bytes) a 256-byte window still reaches.
    public init(level: Int32 = 6, windowBits: Int = 15, contextTakeover: Bool = true) {
        precondition((-1...9).contains(level), "compression level must be -1...9")
        precondition((8...15).contains(windowBits), "window bits must be 8...15")
        self.contextTakeover = contextTakeover
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = deflateInit2_(
            stream, level, Z_DEFLATED, -Int32(max(9, windowBits)), 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "deflateInit2 failed: \(rc)")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Forgets the window.
    public func reset() {
        deflateReset(stream)
    }

    /// Compresses one message and sync-flushes; with `stripSyncTail` the trailing
    /// `00 00 ff ff` is removed (as sent on the wire).
    public func deflate(_ message: [UInt8], stripSyncTail: Bool = true) -> [UInt8] {
        precondition(message.count <= Int(UInt32.max), "message too large")
        var out: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        message.withUnsafeBufferPointer { inBuf in
            scratch.withUnsafeMutableBufferPointer { tmp in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.pointee.avail_in = UInt32(inBuf.count)
                repeat {
                    stream.pointee.next_out = tmp.baseAddress
                    stream.pointee.avail_out = UInt32(tmp.count)
                    let rc = CZlib.deflate(stream, Z_SYNC_FLUSH)
                    precondition(rc == Z_OK || rc == Z_BUF_ERROR, "deflate failed: \(rc)")
                    out.append(contentsOf: tmp[0..<(tmp.count - Int(stream.pointee.avail_out))])
                } while stream.pointee.avail_out == 0
            }
        }
        if !contextTakeover { deflateReset(stream) }
        if stripSyncTail && out.count >= 4 && Array(out.suffix(4)) == deflateSyncTail {
            out.removeLast(4)
        }
        return out
    }
}
