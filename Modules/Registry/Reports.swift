import Foundation

/// What became of a paper's claim in our runs.
public enum Verdict: String, Sendable, Equatable {
    case reproduced = "reproduced"
    case notReproduced = "not reproduced"
    case notYetRun = "not yet run"
}

/// How our summary is held against the paper's number.
public enum ComparisonRule: Sendable {
    /// Our mean lies within `tolerance` of the paper's number, either side.
    case within(Double)
    /// Our mean is at least the paper's number minus `margin` (for accuracies: "as good as claimed").
    case atLeast(margin: Double)
    /// Our mean is at most the paper's number plus `margin` (for losses, error rates, spike counts).
    case atMost(margin: Double)
    /// Any other test, with the sentence the report prints for it.
    case custom(String, @Sendable (_ ours: MetricSummary, _ paper: Double) -> Bool)

    /// The rule in words, for the report.
    public var description: String {
        switch self {
        case .within(let tolerance): return "within ±\(Claim.format(tolerance)) of the paper"
        case .atLeast(let margin): return margin == 0 ? "at least the paper's value" : "at least paper − \(Claim.format(margin))"
        case .atMost(let margin): return margin == 0 ? "at most the paper's value" : "at most paper + \(Claim.format(margin))"
        case .custom(let text, _): return text
        }
    }

    func holds(_ ours: MetricSummary, paper: Double) -> Bool {
        guard let mean = ours.mean else { return false }
        switch self {
        case .within(let tolerance): return abs(mean - paper) <= tolerance
        case .atLeast(let margin): return mean >= paper - margin
        case .atMost(let margin): return mean <= paper + margin
        case .custom(_, let test): return test(ours, paper)
        }
    }
}

/// One number a paper claims, and how to find and judge ours.
public struct Claim: Sendable {
    /// A short stable label, e.g. `C1`.
    public var id: String
    /// What the paper says, in words.
    public var text: String
    /// NaN when the paper states the claim without a number (the table shows "—").
    public var paperValue: Double
    public var query: MetricQuery
    public var rule: ComparisonRule
    /// Digits after the decimal point when printing values of this claim.
    public var decimals: Int

    public init(id: String, text: String, paperValue: Double, query: MetricQuery, rule: ComparisonRule, decimals: Int = 2) {
        self.id = id
        self.text = text
        self.paperValue = paperValue
        self.query = query
        self.rule = rule
        self.decimals = decimals
    }

    static func format(_ value: Double, decimals: Int? = nil) -> String {
        if let decimals { return String(format: "%.\(decimals)f", value) }
        return value == value.rounded() ? String(format: "%.0f", value) : String(value)
    }
}

/// A claim with our numbers and the verdict.
public struct ClaimResult: Sendable {
    public var claim: Claim
    public var ours: MetricSummary
    public var verdict: Verdict
}

/// A figure the report embeds; `path` is relative to the RESULTS.md that shows it.
public struct ReportFigure: Sendable, Equatable {
    public var path: String
    public var caption: String

    public init(path: String, caption: String) {
        self.path = path
        self.caption = caption
    }
}

/// One section of a report: a table of claims, then its figures.
public struct ReportSection: Sendable {
    public var title: String
    public var claims: [Claim]
    public var figures: [ReportFigure]
    /// Free text under the heading (setup, documented choices).
    public var note: String?

    public init(title: String, claims: [Claim], figures: [ReportFigure] = [], note: String? = nil) {
        self.title = title
        self.claims = claims
        self.figures = figures
        self.note = note
    }
}

/// Writes `papers/<paper>/RESULTS.md` from the registry. Generic: the claim lists come from each
/// paper's experiment; this type only evaluates and lays them out. Its output depends on the
/// registry's contents alone (no dates, no absolute paths), so regenerating an unchanged registry
/// gives a byte-identical file that diffs cleanly in review.
public struct ReportGenerator: Sendable {
    public let registry: RunRegistry

    public init(registry: RunRegistry) {
        self.registry = registry
    }

    /// Looks up our numbers for the claim and judges them.
    public func evaluate(_ claim: Claim) throws -> ClaimResult {
        let ours = try registry.summarize(claim.query)
        let verdict: Verdict = ours.n == 0 ? .notYetRun : (claim.rule.holds(ours, paper: claim.paperValue) ? .reproduced : .notReproduced)
        return ClaimResult(claim: claim, ours: ours, verdict: verdict)
    }

    /// The report as markdown.
    public func markdown(paper: String, title: String, sections: [ReportSection]) throws -> String {
        let results = try sections.map { section in try section.claims.map(evaluate) }
        let all = results.flatMap { $0 }
        var lines = [
            "# \(title)",
            "",
            "<!-- Generated from the results registry by the report generator; do not edit by hand. -->",
            "",
            "Paper: `\(paper)`. Verdicts: " + [Verdict.reproduced, .notReproduced, .notYetRun]
                .map { verdict in "\(all.filter { $0.verdict == verdict }.count) \(verdict.rawValue)" }
                .joined(separator: ", ") + ".",
            "Ours = mean ± sample std over seeds (n = number of seeds; the newest completed run of each seed).",
        ]
        for (section, sectionResults) in zip(sections, results) {
            lines += ["", "## \(section.title)", ""]
            if let note = section.note { lines += [note, ""] }
            if !sectionResults.isEmpty {
                lines += Self.table(sectionResults)
                lines.append("")
            }
            for figure in section.figures {
                lines += ["![\(figure.caption)](\(figure.path))", "", "*\(figure.caption)*", ""]
            }
            if lines.last == "" { lines.removeLast() }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `<papersDirectory>/<paper>/RESULTS.md` and returns its path.
    @discardableResult
    public func write(paper: String, title: String, sections: [ReportSection], papersDirectory: URL) throws -> URL {
        let directory = papersDirectory.appendingPathComponent(paper)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("RESULTS.md")
        try markdown(paper: paper, title: title, sections: sections).write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    private static func table(_ results: [ClaimResult]) -> [String] {
        var lines = [
            "| Claim | Paper | Ours | n | Rule | Verdict |",
            "| --- | ---: | ---: | ---: | --- | --- |",
        ]
        for result in results {
            let claim = result.claim
            let ours: String
            if let mean = result.ours.mean, let std = result.ours.std {
                ours = "\(Claim.format(mean, decimals: claim.decimals)) ± \(Claim.format(std, decimals: claim.decimals))"
            } else {
                ours = "—"
            }
            let cells = [
                "\(claim.id): \(claim.text)", claim.paperValue.isNaN ? "—" : Claim.format(claim.paperValue, decimals: claim.decimals), ours,
                String(result.ours.n), claim.rule.description, result.verdict.rawValue,
            ].map { $0.replacingOccurrences(of: "|", with: "\\|") }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines
    }
}
