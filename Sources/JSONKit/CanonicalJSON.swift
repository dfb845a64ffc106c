/// The canonical form of a `JSONValue`, as transcripts store it: no insignificant white space,
/// keys in their stored order, non-ASCII text as UTF-8, control characters escaped (see `JSONWriter`).
public enum CanonicalJSON {
    /// The canonical bytes of `value`, without a trailing newline.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        writer.value(value)
        return writer.bytes
    }

    /// The canonical text of `value`, without a trailing newline.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    /// Appends the canonical bytes of `value` to `out`.
    public static func append(_ value: JSONValue, to out: inout [UInt8]) {
        var writer = JSONWriter(appendingTo: out)
        out = []
        writer.value(value)
        out = writer.bytes
    }
}
