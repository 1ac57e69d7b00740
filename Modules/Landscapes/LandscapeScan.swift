import TensorRuntime

/// Evaluates a loss on a plane or line through parameter space.
///
/// Points are evaluated one after another in a fixed order (row by row, α fastest), so that a
/// seeded `evaluate` gives the same landscape every run; parallelism belongs inside `evaluate`
/// (the event simulator already spreads a batch over the cores).
public enum LandscapeScan {
    /// θ + α·δ + β·η for every grid point; `evaluate` gets the perturbed parameter tensors (same
    /// shapes/dtypes as center). Only one previous row of full gradients is kept in memory for
    /// the cosine statistic, so planes of large networks fit.
    ///
    /// - Precondition: both directions have the centre's shapes; every gradient returned has as
    ///   many elements as all centre tensors together.
    public static func plane(
        center: [Tensor], directions: ([Tensor], [Tensor]), alphas: LandscapeAxis,
        betas: LandscapeAxis, evaluate: ([Tensor]) throws -> LandscapePoint
    ) rethrows -> Landscape2D {
        let space = ParameterSpace(center: center)
        let delta = space.flatten(directions.0, name: "first direction")
        let eta = space.flatten(directions.1, name: "second direction")
        let alphaValues = alphas.values
        let betaValues = betas.values
        var landscape = Landscape2D(
            alphas: alphaValues, betas: betaValues, loss: [], gradientNorm: [],
            gradientAlongAlpha: [], gradientAlongBeta: [], patterns: [],
            neighbourGradientCosine: nil)
        var cosine = CosineMean()
        var previousRow: [[Double]?] = []
        for beta in betaValues {
            var loss: [Double] = []
            var norm: [Double] = []
            var alongAlpha: [Double] = []
            var alongBeta: [Double] = []
            var patterns: [[Int]] = []
            var row: [[Double]?] = []
            for (col, alpha) in alphaValues.enumerated() {
                let point = try evaluate(
                    space.tensors(space.center.indices.map { space.center[$0] + alpha * delta[$0] + beta * eta[$0] }))
                let gradient = space.checked(point.gradient)
                loss.append(point.loss)
                norm.append(gradient.map { dot($0, $0).squareRoot() } ?? .nan)
                alongAlpha.append(gradient.map { dot($0, delta) } ?? .nan)
                alongBeta.append(gradient.map { dot($0, eta) } ?? .nan)
                patterns.append(point.pattern)
                if col > 0 { cosine.add(row[col - 1], gradient) }
                if !previousRow.isEmpty { cosine.add(previousRow[col], gradient) }
                row.append(gradient)
            }
            previousRow = row
            landscape.loss.append(loss)
            landscape.gradientNorm.append(norm)
            landscape.gradientAlongAlpha.append(alongAlpha)
            landscape.gradientAlongBeta.append(alongBeta)
            landscape.patterns.append(patterns)
        }
        landscape.neighbourGradientCosine = cosine.value
        return landscape
    }

    /// θ + s·δ for every step s. Also the interpolation between two parameter sets: centre θ₁,
    /// direction θ₂ − θ₁, steps from 0 to 1.
    ///
    /// - Precondition: as for `plane`.
    public static func line(
        center: [Tensor], direction: [Tensor], steps: [Double],
        evaluate: ([Tensor]) throws -> LandscapePoint
    ) rethrows -> Landscape1D {
        let space = ParameterSpace(center: center)
        let delta = space.flatten(direction, name: "direction")
        var points: [LandscapePoint] = []
        var along: [Double] = []
        for s in steps {
            var point = try evaluate(space.tensors(space.center.indices.map { space.center[$0] + s * delta[$0] }))
            point.gradient = space.checked(point.gradient)
            along.append(point.gradient.map { dot($0, delta) } ?? .nan)
            points.append(point)
        }
        return Landscape1D(steps: steps, points: points, gradientAlongDirection: along)
    }

    private static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for k in a.indices { s += a[k] * b[k] }
        return s
    }
}

/// The centre's tensors as one flat Float64 vector, and back.
private struct ParameterSpace {
    let shapes: [[Int]]
    let dtypes: [DType]
    let center: [Double]

    init(center: [Tensor]) {
        shapes = center.map(\.shape)
        dtypes = center.map(\.dtype)
        self.center = center.flatMap(\.doubles)
    }

    /// `tensors` flattened like the centre.
    func flatten(_ tensors: [Tensor], name: String) -> [Double] {
        precondition(
            tensors.map(\.shape) == shapes,
            "LandscapeScan: \(name) has shapes \(tensors.map(\.shape)), the centre \(shapes)")
        return tensors.flatMap(\.doubles)
    }

    /// A gradient after checking that it covers every parameter.
    func checked(_ gradient: [Double]?) -> [Double]? {
        precondition(
            gradient.map { $0.count == center.count } ?? true,
            "LandscapeScan: gradient has \(gradient?.count ?? 0) elements, the parameters \(center.count)")
        return gradient
    }

    /// A flat vector cut into tensors of the centre's shapes and dtypes.
    func tensors(_ flat: [Double]) -> [Tensor] {
        var offset = 0
        return zip(shapes, dtypes).map { shape, dtype in
            let n = Shape.count(shape)
            defer { offset += n }
            return Tensor(shape: shape, values: Array(flat[offset..<offset + n]), dtype: dtype)
        }
    }
}
