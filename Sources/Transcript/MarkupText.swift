/// Escaping of text for XML and HTML documents (JUnit reports, the inspect and compare pages).
public enum MarkupText {
    /// `text` for XML 1.0 or HTML content (`attribute` false) or a quoted attribute value:
    /// `& < > " '` as references, characters XML cannot hold as U+FFFD, and in attribute values
    /// tab, newline and carriage return as numeric references.
    public static func escape(_ text: String, attribute: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r":
                if attribute { out += "&#\(scalar.value);" } else { out.unicodeScalars.append(scalar) }
            default:
                let v = scalar.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF {
                    out.unicodeScalars.append("\u{FFFD}")
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
