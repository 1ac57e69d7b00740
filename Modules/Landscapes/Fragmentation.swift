/// Scale-free fragmentation numbers of a landscape, for comparing LIF and QIF on the same grid.
///
/// All statistics are taken over the grid's edges: pairs of horizontally or vertically
/// neighbouring points (consecutive steps of a line). None depends on the loss's units, so
/// landscapes of different models and losses can be compared. An edge-less landscape (a single
/// point) has all fractions and the total variation 0.
public struct Fragmentation: Sendable, Codable, Equatable {
    /// The share of edges across which the loss is discontinuous, by `Discontinuity.inside`
    /// with `halvings` halvings of the edge. Only edges whose loss change the exact gradients at
    /// their ends do not explain (trapezoid rule, off by more than `unexplainedShare` of the
    /// change; every edge that changes when there are no gradients) are bisected: on a smooth
    /// stretch the test is not needed and would cost `halvings` evaluations per edge. 0 for a
    /// steep but continuous loss; for a loss with a step, the share of edges crossing the step.
    public var jumpFraction: Double
    /// The share of edges whose |ΔL| exceeds `jumpFactor` × the median |ΔL| of all edges (where
    /// the loss is flat on most edges, every edge with any change). Steep edges, continuous or
    /// not: a continuous loss that is steep in part of the plane scores here too.
    public var steepEdgeFraction: Double
    /// The total variation Σ|ΔL| over edges divided by (max L − min L) × (number of rows +
    /// columns), i.e. how often a grid line traverses the loss range on average: about 1 for a
    /// smooth bowl centred in the plane (each line goes down and up across half the range), ½
    /// for a tilted plane, large for a rugged landscape; 0 for a flat one. For a line the
    /// divisor is (max L − min L): 1 when monotone, 2 for a valley.
    public var relativeTotalVariation: Double
    /// The number of distinct patterns in the plane (the empty pattern counts as one).
    public var distinctPatterns: Int
    /// The share of edges whose two ends have different patterns (behaviour changes, e.g. a
    /// spike count changing; in LIF these come with loss jumps, in QIF not).
    public var patternChangeFraction: Double
    /// The mean cosine similarity of the gradients at the ends of each edge (see
    /// `Landscape2D.neighbourGradientCosine`): near 1 for a smooth landscape on a fine grid,
    /// low for erratic gradients; nil without gradients.
    public var neighbourGradientCosine: Double?

    /// Halvings of an edge in the jump test (a continuous change shrinks to about 1e-9 of it).
    public static let halvings = 30
    /// Share of an edge's loss change the trapezoid rule may miss before the edge is bisected.
    public static let unexplainedShare = 0.1

    public init(
        jumpFraction: Double, steepEdgeFraction: Double, relativeTotalVariation: Double,
        distinctPatterns: Int, patternChangeFraction: Double, neighbourGradientCosine: Double?
    ) {
        self.jumpFraction = jumpFraction
        self.steepEdgeFraction = steepEdgeFraction
        self.relativeTotalVariation = relativeTotalVariation
        self.distinctPatterns = distinctPatterns
        self.patternChangeFraction = patternChangeFraction
        self.neighbourGradientCosine = neighbourGradientCosine
    }

    /// - Parameter loss: the loss at any (α, β) of the plane, for the jump test.
    /// - Precondition: every loss is finite (a NaN or infinite loss has no fragmentation).
    public static func measure(
        _ landscape: Landscape2D, jumpFactor: Double = 5,
        loss: (_ alpha: Double, _ beta: Double) throws -> Double
    ) rethrows -> Fragmentation {
        let rows = landscape.loss.count
        let columns = landscape.alphas.count
        let alphas = landscape.alphas
        let betas = landscape.betas
        let alongAlpha = landscape.gradientAlongAlpha
        let alongBeta = landscape.gradientAlongBeta
        var edges: [Edge] = []
        for r in 0..<rows {
            for c in 0..<columns {
                let k = r * columns + c
                if c + 1 < columns {
                    edges.append(
                        Edge(
                            ends: (k, k + 1), span: (alphas[c], alphas[c + 1]), across: betas[r],
                            slopes: (alongAlpha[r][c], alongAlpha[r][c + 1])))
                }
                if r + 1 < rows {
                    edges.append(
                        Edge(
                            ends: (k, k + columns), span: (betas[r], betas[r + 1]), across: alphas[c],
                            slopes: (alongBeta[r][c], alongBeta[r + 1][c]),
                            alongAlpha: false))
                }
            }
        }
        return try measure(
            losses: landscape.loss.flatMap { $0 }, patterns: landscape.patterns.flatMap { $0 },
            edges: edges, lines: rows + columns, jumpFactor: jumpFactor,
            cosine: landscape.neighbourGradientCosine
        ) { edge, x in
            try edge.alongAlpha ? loss(x, edge.across) : loss(edge.across, x)
        }
    }

    /// The 1-D analogue: the edges are consecutive steps and the line is the only grid line.
    ///
    /// - Parameter loss: the loss at any step of the line, for the jump test.
    /// - Precondition: every loss is finite.
    public static func measure(
        _ line: Landscape1D, jumpFactor: Double = 5,
        loss: (Double) throws -> Double
    ) rethrows -> Fragmentation {
        let s = line.steps
        let slope = line.gradientAlongDirection
        let edges = s.indices.dropFirst().map { k in
            Edge(ends: (k - 1, k), span: (s[k - 1], s[k]), across: 0, slopes: (slope[k - 1], slope[k]))
        }
        return try measure(
            losses: line.points.map(\.loss), patterns: line.points.map(\.pattern), edges: edges,
            lines: 1, jumpFactor: jumpFactor, cosine: line.neighbourGradientCosine
        ) { try loss($1) }
    }

    /// A grid edge: its end points (indices into the losses), the coordinates it spans along its
    /// axis (α for a line's steps) and the other coordinate, and the loss's slopes along it at
    /// the ends (NaN: no gradient).
    private struct Edge {
        var ends: (Int, Int)
        var span: (Double, Double)
        var across: Double
        var slopes: (Double, Double)
        var alongAlpha = true
    }

    private static func measure(
        losses: [Double], patterns: [[Int]], edges: [Edge], lines: Int, jumpFactor: Double,
        cosine: Double?, lossAlong: (Edge, Double) throws -> Double
    ) rethrows -> Fragmentation {
        precondition(jumpFactor > 0, "Fragmentation: jumpFactor must be positive, got \(jumpFactor)")
        if let bad = losses.firstIndex(where: { !$0.isFinite }) {
            preconditionFailure("Fragmentation: loss \(losses[bad]) at point \(bad) (row-major) is not finite")
        }
        let changes = edges.map { losses[$0.ends.1] - losses[$0.ends.0] }
        let steps = changes.map(Swift.abs)
        let threshold = jumpFactor * median(steps)
        let range = (losses.max() ?? 0) - (losses.min() ?? 0)
        let total = steps.reduce(0, +)
        var jumps = 0
        for (edge, change) in zip(edges, changes) where change != 0 {
            let predicted = (edge.span.1 - edge.span.0) * (edge.slopes.0 + edge.slopes.1) / 2
            // NaN (no gradient) fails the comparison and bisects.
            if Swift.abs(change - predicted) <= unexplainedShare * Swift.abs(change) { continue }
            let (left, right) = ((edge.span.0, losses[edge.ends.0]), (edge.span.1, losses[edge.ends.1]))
            if try Discontinuity.inside(from: left, to: right, halvings: halvings, loss: { try lossAlong(edge, $0) }) {
                jumps += 1
            }
        }
        return Fragmentation(
            jumpFraction: share(of: jumps, in: edges.count),
            steepEdgeFraction: share(of: steps.filter { $0 > threshold }.count, in: edges.count),
            relativeTotalVariation: range > 0 ? total / (range * Double(lines)) : 0,
            distinctPatterns: PatternIDs(patterns).distinctCount,
            patternChangeFraction: share(
                of: edges.filter { patterns[$0.ends.0] != patterns[$0.ends.1] }.count,
                in: edges.count),
            neighbourGradientCosine: cosine)
    }

    private static func share(of part: Int, in whole: Int) -> Double {
        whole > 0 ? Double(part) / Double(whole) : 0
    }

    private static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

/// Numbers each distinct pattern by its first appearance (in row-major order).
struct PatternIDs {
    let ids: [Int]
    let distinctCount: Int

    init(_ patterns: [[Int]]) {
        var seen: [[Int]: Int] = [:]
        ids = patterns.map { p in
            if let id = seen[p] { return id }
            seen[p] = seen.count
            return seen.count - 1
        }
        distinctCount = seen.count
    }
}
