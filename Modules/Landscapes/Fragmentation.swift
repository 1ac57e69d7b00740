/// Scale-free fragmentation numbers of a landscape, for comparing LIF and QIF on the same grid.
///
/// All statistics are taken over the grid's edges: pairs of horizontally or vertically
/// neighbouring points (consecutive steps of a line). None depends on the loss's units, so
/// landscapes of different models and losses can be compared. An edge-less landscape (a single
/// point) has all fractions and the total variation 0.
public struct Fragmentation: Sendable, Codable, Equatable {
    /// The share of edges whose |ΔL| exceeds `jumpFactor` × the median |ΔL| of all edges.
    /// A continuous loss changes by about the same amount across every edge of a fine grid, so
    /// outlier steps mark discontinuities (LIF spikes vanishing mid-trial). Where the loss is
    /// flat on most edges (median 0), every edge with any change counts as a jump. 0 for a
    /// smooth bowl; for a loss with a step, the share of edges crossing the step.
    public var jumpFraction: Double
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

    public init(jumpFraction: Double, relativeTotalVariation: Double, distinctPatterns: Int,
                patternChangeFraction: Double, neighbourGradientCosine: Double?)
    {
        self.jumpFraction = jumpFraction
        self.relativeTotalVariation = relativeTotalVariation
        self.distinctPatterns = distinctPatterns
        self.patternChangeFraction = patternChangeFraction
        self.neighbourGradientCosine = neighbourGradientCosine
    }

    /// - Precondition: every loss is finite (a NaN or infinite loss has no fragmentation).
    public static func measure(_ landscape: Landscape2D, jumpFactor: Double = 5) -> Fragmentation {
        let rows = landscape.loss.count, columns = landscape.alphas.count
        var edges: [(Int, Int)] = []
        for r in 0..<rows {
            for c in 0..<columns {
                let k = r * columns + c
                if c + 1 < columns { edges.append((k, k + 1)) }
                if r + 1 < rows { edges.append((k, k + columns)) }
            }
        }
        return measure(losses: landscape.loss.flatMap { $0 }, patterns: landscape.patterns.flatMap { $0 }, edges: edges,
                       lines: rows + columns, jumpFactor: jumpFactor, cosine: landscape.neighbourGradientCosine)
    }

    /// The 1-D analogue: the edges are consecutive steps and the line is the only grid line.
    ///
    /// - Precondition: every loss is finite.
    public static func measure(_ line: Landscape1D, jumpFactor: Double = 5) -> Fragmentation {
        measure(losses: line.points.map(\.loss), patterns: line.points.map(\.pattern),
                edges: line.points.indices.dropFirst().map { ($0 - 1, $0) }, lines: 1, jumpFactor: jumpFactor,
                cosine: line.neighbourGradientCosine)
    }

    private static func measure(losses: [Double], patterns: [[Int]], edges: [(Int, Int)], lines: Int, jumpFactor: Double,
                                cosine: Double?) -> Fragmentation
    {
        precondition(jumpFactor > 0, "Fragmentation: jumpFactor must be positive, got \(jumpFactor)")
        if let bad = losses.firstIndex(where: { !$0.isFinite }) {
            preconditionFailure("Fragmentation: loss \(losses[bad]) at point \(bad) (row-major) is not finite")
        }
        let steps = edges.map { Swift.abs(losses[$0.1] - losses[$0.0]) }
        let threshold = jumpFactor * median(steps)
        let range = (losses.max() ?? 0) - (losses.min() ?? 0)
        let total = steps.reduce(0, +)
        return Fragmentation(
            jumpFraction: share(of: steps.filter { $0 > threshold }.count, in: edges.count),
            relativeTotalVariation: range > 0 ? total / (range * Double(lines)) : 0,
            distinctPatterns: PatternIDs(patterns).distinctCount,
            patternChangeFraction: share(of: edges.filter { patterns[$0.0] != patterns[$0.1] }.count, in: edges.count),
            neighbourGradientCosine: cosine)
    }

    private static func share(of part: Int, in whole: Int) -> Double {
        whole > 0 ? Double(part) / Double(whole) : 0
    }

    private static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted(), mid = sorted.count / 2
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
