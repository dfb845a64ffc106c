/// Encodes headers and records to tape lines: compact JSON with a fixed key order and a
/// trailing `\n`. The same value always gives the same bytes.
public enum TapeEncoder {
    /// The header line, including the trailing newline.
    public static func encode(_ header: TapeHeader) -> [UInt8] {
        var w = JSONLineWriter()
        w.raw("{\"format\":")
        w.string(TapeFormat.name)
        w.raw(",\"version\":")
        w.int(header.version)
        w.raw(",\"created\":")
        w.string(header.created)
        w.raw(",\"source\":{\"kind\":")
        w.string(header.source.kind)
        if let detail = header.source.detail {
            w.raw(",\"detail\":")
            w.string(detail)
        }
        w.raw("},\"redacted\":[")
        for (i, name) in header.redacted.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(name)
        }
        w.raw("]}\n")
        return w.out
    }

    /// One record line, including the trailing newline.
    public static func encode(_ record: TapeRecord) -> [UInt8] {
        var w = JSONLineWriter()
        encode(record, into: &w)
        return w.out
    }

    /// Appends one record line (with its newline) to `buffer`.
    public static func encode(_ record: TapeRecord, into buffer: inout [UInt8]) {
        var w = JSONLineWriter(out: [])
        swap(&w.out, &buffer)
        encode(record, into: &w)
        swap(&w.out, &buffer)
    }

    static func encode(_ record: TapeRecord, into w: inout JSONLineWriter) {
        w.raw("{\"t_us\":")
        w.uint(record.timeMicros)
        switch record {
        case .http(let r):
            w.raw(",\"kind\":\"http\"")
            if let conn = r.conn {
                w.raw(",\"conn\":")
                w.int(conn)
            }
            if let duration = r.durationMicros {
                w.raw(",\"duration_us\":")
                w.uint(duration)
            }
            w.raw(",\"request\":{\"method\":")
            w.string(r.request.method)
            w.raw(",\"url\":")
            w.string(r.request.url)
            w.raw(",\"headers\":")
            w.headers(r.request.headers)
            w.body(key: ",\"body\":", r.request.body)
            w.raw("}")
            if let response = r.response {
                w.raw(",\"response\":")
                w.response(response)
            }
            if let error = r.error {
                w.raw(",\"error\":")
                w.string(error)
            }
        case .wsOpen(let r):
            w.raw(",\"kind\":\"ws_open\",\"conn\":")
            w.int(r.conn)
            w.raw(",\"url\":")
            w.string(r.url)
            w.raw(",\"request_headers\":")
            w.headers(r.requestHeaders)
            if let response = r.response {
                w.raw(",\"response\":")
                w.response(response)
            }
            if let subprotocol = r.subprotocol {
                w.raw(",\"subprotocol\":")
                w.string(subprotocol)
            }
            if let error = r.error {
                w.raw(",\"error\":")
                w.string(error)
            }
        case .wsMessage(let r):
            w.raw(",\"kind\":\"ws_message\",\"conn\":")
            w.int(r.conn)
            w.raw(",\"dir\":")
            w.string(r.direction.rawValue)
            w.raw(",\"opcode\":")
            if let name = r.opcode.name {
                w.string(name)
            } else {
                w.int(Int(r.opcode.rawValue))
            }
            if r.compressed { w.raw(",\"compressed\":true") }
            w.body(key: ",\"payload\":", r.payload)
        case .wsClose(let r):
            w.raw(",\"kind\":\"ws_close\",\"conn\":")
            w.int(r.conn)
            w.raw(",\"by\":")
            w.string(r.by.rawValue)
            if let code = r.code {
                w.raw(",\"code\":")
                w.int(code)
            }
            if !r.reason.isEmpty {
                w.raw(",\"reason\":")
                w.string(r.reason)
            }
        case .gap(let r):
            w.raw(",\"kind\":\"gap\",\"conn\":")
            w.int(r.conn)
            w.raw(",\"dir\":")
            w.string(r.direction.rawValue)
            w.raw(",\"length\":")
            w.uint(r.length)
        }
        w.raw("}\n")
    }
}

/// Appends compact JSON fragments to a byte buffer.
struct JSONLineWriter {
    var out: [UInt8]

    init() {
        out = []
        out.reserveCapacity(256)
    }

    init(out: [UInt8]) {
        self.out = out
    }

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    mutating func uint(_ v: UInt64) {
        if v < 10 {
            out.append(UInt8(ascii: "0") + UInt8(v))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var value = v
        withUnsafeMutableBytes(of: &digits) { d in
            while value > 0 {
                d[19 - count] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
                count += 1
            }
            out.append(contentsOf: d[(20 - count)...])
        }
    }

    mutating func int(_ v: Int) {
        if v < 0 {
            out.append(UInt8(ascii: "-"))
            uint(v.magnitude.toUInt64)
        } else {
            uint(UInt64(v))
        }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { string(bytes: $0) }
    }

    mutating func string(bytes p: UnsafeBufferPointer<UInt8>) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        var i = 0
        let n = p.count
        while i < n {
            let b = p[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C {
                i += 1
                continue
            }
            if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<i])) }
            out.append(UInt8(ascii: "\\"))
            switch b {
            case 0x22: out.append(UInt8(ascii: "\""))
            case 0x5C: out.append(UInt8(ascii: "\\"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                let hex: StaticString = "0123456789abcdef"
                out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                hex.withUTF8Buffer { h in
                    out.append(h[Int(b >> 4)])
                    out.append(h[Int(b & 15)])
                }
            }
            i += 1
            runStart = i
        }
        if runStart < n { out.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<n])) }
        out.append(UInt8(ascii: "\""))
    }

    mutating func headers(_ headers: [HTTPHeader]) {
        out.append(UInt8(ascii: "["))
        for (i, h) in headers.enumerated() {
            raw(i == 0 ? "[" : ",[")
            string(h.name)
            out.append(UInt8(ascii: ","))
            string(h.value)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// Writes `key` and the body object, or nothing when the body is empty.
    mutating func body(key: StaticString, _ body: Body) {
        if body.isEmpty { return }
        raw(key)
        if body.isStoredAsText {
            raw("{\"text\":")
            body.bytes.withUnsafeBufferPointer { string(bytes: $0) }
            raw("}")
        } else {
            raw("{\"base64\":\"")
            Base64.encode(body.bytes, into: &out)
            raw("\"}")
        }
    }

    mutating func response(_ r: HTTPResponse) {
        raw("{\"status\":")
        int(r.status)
        if let reason = r.reason {
            raw(",\"reason\":")
            string(reason)
        }
        raw(",\"headers\":")
        headers(r.headers)
        if let encoding = r.contentEncoding {
            raw(",\"content_encoding\":")
            string(encoding)
        }
        body(key: ",\"body\":", r.body)
        raw("}")
    }
}

extension UInt {
    fileprivate var toUInt64: UInt64 { UInt64(self) }
}
