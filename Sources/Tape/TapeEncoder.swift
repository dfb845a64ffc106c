import JSONKit

/// Encodes headers and records to tape lines: compact JSON with a fixed key order and a
/// trailing `\n`. The same value always gives the same bytes.
public enum TapeEncoder {
    /// The header line, including the trailing newline.
    public static func encode(_ header: TapeHeader) -> [UInt8] {
        var w = JSONWriter()
        w.raw("{\"format\":")
        w.string(TapeFormat.name)
        w.raw(",\"version\":")
        w.int(Int64(header.version))
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
        return w.bytes
    }

    /// One record line, including the trailing newline.
    public static func encode(_ record: TapeRecord) -> [UInt8] {
        var w = JSONWriter()
        encode(record, into: &w)
        return w.bytes
    }

    /// Appends one record line (with its newline) to `buffer`.
    public static func encode(_ record: TapeRecord, into buffer: inout [UInt8]) {
        var w = JSONWriter(appendingTo: [])
        swap(&w.bytes, &buffer)
        encode(record, into: &w)
        swap(&w.bytes, &buffer)
    }

    static func encode(_ record: TapeRecord, into w: inout JSONWriter) {
        w.raw("{\"t_us\":")
        w.uint(record.timeMicros)
        switch record {
        case .http(let r):
            w.raw(",\"kind\":\"http\"")
            if let conn = r.conn {
                w.raw(",\"conn\":")
                w.int(Int64(conn))
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
            w.int(Int64(r.conn))
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
            w.int(Int64(r.conn))
            w.raw(",\"dir\":")
            w.string(r.direction.rawValue)
            w.raw(",\"opcode\":")
            if let name = r.opcode.name {
                w.string(name)
            } else {
                w.int(Int64(Int(r.opcode.rawValue)))
            }
            if r.compressed { w.raw(",\"compressed\":true") }
            w.body(key: ",\"payload\":", r.payload)
        case .wsClose(let r):
            w.raw(",\"kind\":\"ws_close\",\"conn\":")
            w.int(Int64(r.conn))
            w.raw(",\"by\":")
            w.string(r.by.rawValue)
            if let code = r.code {
                w.raw(",\"code\":")
                w.int(Int64(code))
            }
            if !r.reason.isEmpty {
                w.raw(",\"reason\":")
                w.string(r.reason)
            }
        case .gap(let r):
            w.raw(",\"kind\":\"gap\",\"conn\":")
            w.int(Int64(r.conn))
            w.raw(",\"dir\":")
            w.string(r.direction.rawValue)
            w.raw(",\"length\":")
            w.uint(r.length)
        }
        w.raw("}\n")
    }
}

/// The tape's composite values: header lists, bodies, responses.
extension JSONWriter {
    mutating func headers(_ headers: [HTTPHeader]) {
        bytes.append(UInt8(ascii: "["))
        for (i, h) in headers.enumerated() {
            raw(i == 0 ? "[" : ",[")
            string(h.name)
            bytes.append(UInt8(ascii: ","))
            string(h.value)
            bytes.append(UInt8(ascii: "]"))
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes `key` and the body object, or nothing when the body is empty.
    mutating func body(key: StaticString, _ body: Body) {
        if body.isEmpty { return }
        raw(key)
        if body.isStoredAsText {
            raw("{\"text\":")
            body.bytes.withUnsafeBufferPointer { string(utf8: $0) }
            raw("}")
        } else {
            raw("{\"base64\":\"")
            Base64.encode(body.bytes, into: &bytes)
            raw("\"}")
        }
    }

    mutating func response(_ r: HTTPResponse) {
        raw("{\"status\":")
        int(Int64(r.status))
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
