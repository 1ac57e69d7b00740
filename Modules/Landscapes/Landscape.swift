/// An evenly spaced axis from -radius to radius with `points` points (odd counts include 0).
///
/// Only radius and point count are stored (and encoded), so configs stay short and the values
/// are exactly symmetric: the middle value of an odd count is exactly 0, the centre itself.
public struct LandscapeAxis: Sendable, Equatable, Codable {
    public var radius: Double
    public var points: Int

    /// - Precondition: radius finite and ≥ 0, points ≥ 1 (one point is the centre alone).
    public init(radius: Double, points: Int) {
        precondition(
            radius.isFinite && radius >= 0, "LandscapeAxis: radius must be finite and non-negative, got \(radius)")
        precondition(points >= 1, "LandscapeAxis: need at least one point, got \(points)")
        (self.radius, self.points) = (radius, points)
    }

    public var values: [Double] {
        guard points > 1 else { return [0] }
        let last = Double(points - 1)
        return (0..<points).map { radius * (2 * Double($0) - last) / last }
    }
}

/// What one parameter point evaluates to. `gradient` (flattened over all tensors, optional) is
/// used for projections and neighbour cosine similarity; `pattern` is any discrete signature of
/// the network's behaviour there (e.g. output spike counts) for counting distinct patterns.
public struct LandscapePoint: Sendable, Equatable {
    public var loss: Double
    /// dL/dθ, the tensors flattened and concatenated in order; nil if not computed.
    public var gradient: [Double]?
    public var pattern: [Int]

    public init(loss: Double, gradient: [Double]? = nil, pattern: [Int] = []) {
        (self.loss, self.gradient, self.pattern) = (loss, gradient, pattern)
    }
}

/// A scanned plane: values[row][col] with row = beta index, col = alpha index.
public struct Landscape2D: Sendable {
    public var alphas: [Double]
    public var betas: [Double]
    public var loss: [[Double]]
    /// |dL/dθ|; NaN where no gradient.
    public var gradientNorm: [[Double]]
    /// Projections of the gradient on the (unnormalised) directions δ and η, i.e. the slopes
    /// ∂f/∂α and ∂f/∂β of the plotted surface; NaN where no gradient.
    public var gradientAlongAlpha: [[Double]]
    public var gradientAlongBeta: [[Double]]
    public var patterns: [[[Int]]]
    /// Mean cosine similarity of the full gradients at horizontally/vertically neighbouring
    /// points (nil when no gradients) — low = erratic gradients. Edges where either gradient is
    /// missing or zero (cosine undefined) are left out; nil if that leaves none.
    public var neighbourGradientCosine: Double?
}

/// A scanned line θ + s·δ: one point per step.
public struct Landscape1D: Sendable {
    public var steps: [Double]
    public var points: [LandscapePoint]
    /// Projection of each point's gradient on the (unnormalised) direction δ, i.e. the slope
    /// df/ds of the plotted curve; NaN where no gradient.
    public var gradientAlongDirection: [Double]

    /// Mean cosine similarity of the full gradients at consecutive steps, as for `Landscape2D`.
    public var neighbourGradientCosine: Double? {
        var mean = CosineMean()
        for k in points.indices.dropFirst() { mean.add(points[k - 1].gradient, points[k].gradient) }
        return mean.value
    }
}

/// The running mean of cosine similarities between pairs of gradients; pairs where either is
/// missing or zero are skipped (their cosine is undefined).
struct CosineMean {
    private var sum = 0.0
    private var count = 0

    mutating func add(_ a: [Double]?, _ b: [Double]?) {
        guard let a, let b else { return }
        precondition(a.count == b.count, "neighbour gradients have \(a.count) and \(b.count) elements")
        var dot = 0.0
        var aa = 0.0
        var bb = 0.0
        for k in a.indices {
            dot += a[k] * b[k]
            aa += a[k] * a[k]
            bb += b[k] * b[k]
        }
        guard aa > 0 && bb > 0 else { return }
        sum += dot / (aa * bb).squareRoot()
        count += 1
    }

    var value: Double? { count > 0 ? sum / Double(count) : nil }
}
