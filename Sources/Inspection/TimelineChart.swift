import Foundation
import JSONKit

/// A capture's timeline (`Timeline.json`) drawn as three inline SVG charts: viewers, messages
/// per second by method (stacked areas, largest series at the bottom) and gift diamonds per
/// bucket (bars).
struct TimelineChart {
    /// The largest value of each chart, so that two timelines can share their scales.
    struct Scale {
        var viewers: Double
        var messagesPerSecond: Double
        var diamonds: Double

        /// The larger of each.
        func union(_ other: Scale) -> Scale {
            Scale(viewers: max(viewers, other.viewers), messagesPerSecond: max(messagesPerSecond, other.messagesPerSecond),
                  diamonds: max(diamonds, other.diamonds))
        }
    }

    /// Series colours, distinguishable on white and in greyscale order.
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                          "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939"]
    private static let width = 1000.0, height = 190.0
    private static let left = 60.0, right = 985.0, top = 14.0, bottom = 160.0

    let bucketSeconds: Double
    let viewers: [Int64?]
    let diamonds: [Int64]
    /// Messages per bucket of each method (`(empty)` for an empty method name), the busiest first.
    let series: [(name: String, counts: [Int64])]

    init(json: JSONValue) {
        switch json["bucket_seconds"]?.resolved {
        case .double(let seconds)?: bucketSeconds = seconds
        case .int(let seconds)?: bucketSeconds = Double(seconds)
        default: bucketSeconds = 1
        }
        viewers = (json["viewers"]?.arrayValue ?? []).map(\.intValue)
        diamonds = (json["gift_diamonds"]?.arrayValue ?? []).map { $0.intValue ?? 0 }
        series = InspectionReport.pairs(json["messages"])
            .map { (name: $0.0.isEmpty ? "(empty)" : $0.0, counts: ($0.1.arrayValue ?? []).map { $0.intValue ?? 0 }) }
            .sorted { ($0.counts.reduce(0, +), $1.name) > ($1.counts.reduce(0, +), $0.name) }
    }

    var buckets: Int { max(viewers.count, diamonds.count) }

    var scale: Scale {
        let rates = (0..<buckets).map { index in series.reduce(0) { $0 + (index < $1.counts.count ? $1.counts[index] : 0) } }
        return Scale(viewers: Double(viewers.compactMap { $0 }.max() ?? 0),
                     messagesPerSecond: Double(rates.max() ?? 0) / bucketSeconds,
                     diamonds: Double(diamonds.max() ?? 0))
    }

    /// The three charts and the legend of the message series; `id` makes their element ids unique on the page.
    func write(into html: inout HTMLWriter, id: String, scale: Scale? = nil) {
        guard buckets > 0 else {
            html.element("p", [("class", "none")], text: "No messages, so no timeline.")
            return
        }
        let scale = scale ?? self.scale
        let seconds = Double(buckets) * bucketSeconds
        let viewerPoints = viewers.enumerated().compactMap { index, value in value.map { (index, Double($0)) } }
        chart(&html, id: id + "-viewers", title: "Viewers", seconds: seconds, maximum: scale.viewers,
              summary: viewerPoints.isEmpty ? "No viewer counts." : "Viewers from \(Int(viewerPoints.first!.1)) to \(Int(viewerPoints.last!.1)), at most \(Int(scale.viewers)).") { plot in
            let points = viewerPoints.map { "\(fmt(x($0.0))),\(fmt(y($0.1, scale.viewers)))" }.joined(separator: " ")
            plot.raw("<polyline fill=\"none\" stroke=\"\(Self.palette[0])\" stroke-width=\"2\" points=\"\(points)\"/>")
        }
        let total = series.reduce(0) { $0 + $1.counts.reduce(0, +) }
        chart(&html, id: id + "-messages", title: "Messages per second, by method", seconds: seconds, maximum: scale.messagesPerSecond,
              summary: "\(total) messages of \(series.count) series; at most \(fmt(scale.messagesPerSecond)) per second.") { plot in
            var below = [Double](repeating: 0, count: buckets)
            for (index, line) in series.enumerated() {
                let above = (0..<buckets).map { below[$0] + Double($0 < line.counts.count ? line.counts[$0] : 0) / bucketSeconds }
                let upper = (0..<buckets).map { "\(fmt(x($0))),\(fmt(y(above[$0], scale.messagesPerSecond)))" }
                let lower = (0..<buckets).reversed().map { "\(fmt(x($0))),\(fmt(y(below[$0], scale.messagesPerSecond)))" }
                plot.open("polygon", [("fill", Self.color(index)), ("points", (upper + lower).joined(separator: " "))])
                plot.element("title", text: line.name)
                plot.close("polygon")
                below = above
            }
        }
        html.open("ul", [("class", "legend"), ("aria-label", "Message series")])
        for (index, line) in series.enumerated() {
            html.open("li")
            html.raw("<span class=\"swatch\" style=\"background:\(Self.color(index))\"></span>")
            html.text("\(line.name) (\(line.counts.reduce(0, +)))")
            html.close("li")
        }
        html.close("ul")
        let diamondTotal = diamonds.reduce(0, +)
        chart(&html, id: id + "-gifts", title: "Gift diamonds per \(fmt(bucketSeconds)) s", seconds: seconds, maximum: scale.diamonds,
              summary: "\(diamondTotal) diamonds in completed gifts.") { plot in
            let barWidth = max(1, (Self.right - Self.left) / Double(buckets) * 0.8)
            for (index, value) in diamonds.enumerated() where value > 0 {
                let top = y(Double(value), scale.diamonds)
                plot.raw("<rect fill=\"\(Self.palette[1])\" x=\"\(fmt(x(index) - barWidth / 2))\" y=\"\(fmt(top))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(Self.bottom - top))\"/>")
            }
        }
    }

    /// One chart: a figure with its caption, axes, tick labels and the plot drawn by `plot`.
    private func chart(_ html: inout HTMLWriter, id: String, title: String, seconds: Double, maximum: Double,
                       summary: String, plot: (inout HTMLWriter) -> Void) {
        html.open("figure", [("class", "chart")])
        html.element("figcaption", [("id", id + "-title")], text: title)
        html.open("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("viewBox", "0 0 \(Int(Self.width)) \(Int(Self.height))"),
                          ("role", "img"), ("aria-labelledby", id + "-title " + id + "-desc")])
        html.element("desc", [("id", id + "-desc")], text: summary)
        html.raw("<path class=\"axis\" d=\"M\(fmt(Self.left)),\(fmt(Self.top))V\(fmt(Self.bottom))H\(fmt(Self.right))\"/>")
        html.element("text", [("x", fmt(Self.left - 6)), ("y", fmt(Self.top + 4)), ("text-anchor", "end")], text: fmt(maximum))
        html.element("text", [("x", fmt(Self.left - 6)), ("y", fmt(Self.bottom)), ("text-anchor", "end")], text: "0")
        for fraction in [0.0, 0.5, 1.0] {
            html.element("text", [("x", fmt(Self.left + fraction * (Self.right - Self.left))), ("y", fmt(Self.bottom + 16)),
                                  ("text-anchor", fraction == 0 ? "start" : fraction == 1 ? "end" : "middle")],
                         text: "\(fmt(fraction * seconds)) s")
        }
        plot(&html)
        html.close("svg")
        html.close("figure")
    }

    private static func color(_ index: Int) -> String { palette[index % palette.count] }

    private func x(_ bucket: Int) -> Double {
        Self.left + (Double(bucket) + 0.5) / Double(buckets) * (Self.right - Self.left)
    }

    private func y(_ value: Double, _ maximum: Double) -> Double {
        maximum > 0 ? Self.bottom - value / maximum * (Self.bottom - Self.top) : Self.bottom
    }
}

/// A number for SVG coordinates and labels: at most one decimal, none when whole.
private func fmt(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
}
