/// Landscapes as CSV data files for the report, one row per point with the columns
/// `alpha,beta,loss,gradient_norm,grad_alpha,grad_beta,pattern_id`.
///
/// Rows run row-major (β outer, α inner). Missing values (no gradient) are `nan`, which
/// pandas, numpy and gnuplot read as NaN. `pattern_id` numbers the distinct patterns by first
/// appearance, so equal ids mean equal patterns.
enum LandscapeCSV {
    static let header = "alpha,beta,loss,gradient_norm,grad_alpha,grad_beta,pattern_id\n"

    static func row(_ values: [Double], patternID: Int) -> String {
        values.map { "\($0)" }.joined(separator: ",") + ",\(patternID)\n"
    }
}

extension Landscape2D {
    public func csv() -> String {
        let ids = PatternIDs(patterns.flatMap { $0 }).ids
        var text = LandscapeCSV.header
        for (r, beta) in betas.enumerated() {
            for (c, alpha) in alphas.enumerated() {
                text += LandscapeCSV.row(
                    [
                        alpha, beta, loss[r][c], gradientNorm[r][c], gradientAlongAlpha[r][c],
                        gradientAlongBeta[r][c],
                    ], patternID: ids[r * alphas.count + c])
            }
        }
        return text
    }
}

extension Landscape1D {
    /// The same columns as a plane's: alpha is the step, beta 0 and grad_beta `nan`.
    public func csv() -> String {
        let ids = PatternIDs(points.map(\.pattern)).ids
        var text = LandscapeCSV.header
        for (k, point) in points.enumerated() {
            let norm = point.gradient.map { g in g.reduce(0) { $0 + $1 * $1 }.squareRoot() } ?? .nan
            text += LandscapeCSV.row(
                [steps[k], 0, point.loss, norm, gradientAlongDirection[k], .nan], patternID: ids[k])
        }
        return text
    }
}
