import Transcript

/// Builds an HTML document as text. Every string that comes from a capture goes through
/// `text` or an attribute value, both escaped: tapes carry hostile text.
struct HTMLWriter {
    private(set) var html = ""

    /// Markup written by this module, as is.
    mutating func raw(_ markup: String) { html += markup }

    /// Text, escaped.
    mutating func text(_ text: String) { html += MarkupText.escape(text, attribute: false) }

    /// `<name attributes>`; attribute values are escaped.
    mutating func open(_ name: String, _ attributes: [(String, String)] = []) {
        html += "<" + name
        for (key, value) in attributes { html += " \(key)=\"\(MarkupText.escape(value))\"" }
        html += ">"
    }

    mutating func close(_ name: String) { html += "</\(name)>" }

    /// An element holding escaped text.
    mutating func element(_ name: String, _ attributes: [(String, String)] = [], text: String) {
        open(name, attributes)
        self.text(text)
        close(name)
    }

    /// `<section id=…>` with an `<h2>` heading, its content written by `body`.
    mutating func section(id: String, title: String, _ body: (inout HTMLWriter) -> Void) {
        open("section", [("id", id), ("aria-labelledby", id + "-title")])
        element("h2", [("id", id + "-title")], text: title)
        body(&self)
        close("section")
    }

    /// A table with a header row and a header cell starting each row (`(empty)` for an empty
    /// name); columns in `numeric` are right-aligned. A table without rows is a paragraph saying `empty`.
    mutating func table(_ caption: String, headers: [String], rows: [[String]], numeric: Set<Int> = [], empty: String = "None.") {
        guard !rows.isEmpty else {
            element("p", [("class", "none")], text: empty)
            return
        }
        open("table")
        element("caption", text: caption)
        open("thead")
        open("tr")
        for (index, header) in headers.enumerated() {
            element("th", numeric.contains(index) ? [("scope", "col"), ("class", "num")] : [("scope", "col")], text: header)
        }
        close("tr")
        close("thead")
        open("tbody")
        for row in rows {
            open("tr")
            for (index, cell) in row.enumerated() {
                if index == 0 {
                    element("th", [("scope", "row")], text: cell.isEmpty ? "(empty)" : cell)
                } else {
                    element("td", numeric.contains(index) ? [("class", "num")] : [], text: cell)
                }
            }
            close("tr")
        }
        close("tbody")
        close("table")
    }

    /// A description list of facts.
    mutating func facts(_ pairs: [(String, String)]) {
        open("dl", [("class", "facts")])
        for (term, value) in pairs {
            open("div")
            element("dt", text: term)
            element("dd", text: value)
            close("div")
        }
        close("dl")
    }
}
