@testable import Inspection
import JSONKit
import Testing

@Suite struct InspectionHTMLTests {
    @Test func textAndAttributesAreEscaped() {
        var html = HTMLWriter()
        html.element("td", [("title", "\"><script>")], text: "<a href='x'>&\u{0}\t好綠茶喔 🎉")
        #expect(html.html == "<td title=\"&quot;&gt;&lt;script&gt;\">&lt;a href=&apos;x&apos;&gt;&amp;\u{FFFD}\t好綠茶喔 🎉</td>")
    }

    @Test func pagesNeedNothingFromTheNetwork() {
        let capture = SynthesizedCapture(30, "WebcastLikeMessage") { WireField.int(2, Int64($0)) }
        let changed = SynthesizedCapture(30, "WebcastLikeMessage") { WireField.int(2, Int64($0)) + WireField.int(77, 1) }
        let pages = [
            InspectionHTML.inspectPage(capture.report, source: "a.tape"),
            InspectionHTML.comparePage(CaptureComparison(old: capture.report, new: changed.report), old: capture.report,
                                       new: changed.report, oldSource: "a.tape", newSource: "b.tape"),
        ]
        for page in pages {
            #expect(page.hasPrefix("<!DOCTYPE html>"))
            #expect(page.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""))
            for reference in ["src=", "href=", "<script", "<link", "@import", "url("] {
                #expect(!page.contains(reference), "\(reference)")
            }
        }
        #expect(pages[1].contains("<th scope=\"row\">1</th><td>unknown field appeared</td><td>WebcastLikeMessage.77</td>"))
    }
}
