/// Tells a loss that jumps inside an interval from one that is merely steep there.
///
/// The interval is halved `halvings` times, always keeping the half whose loss changes more. A
/// continuous loss's change shrinks with the interval (by about 2^−halvings), a jump's does not:
/// the interval contains a discontinuity when the change left exceeds `keptShare` of the
/// interval's change. A jump much smaller than the interval's continuous change can be lost on
/// the way (the half with the larger continuous change is kept), so tiny jumps on steep slopes
/// are not counted. A change below `roundingShare` of the loss itself is rounding noise, which
/// no halving shrinks, and is not tested.
public enum Discontinuity {
    /// Share of an interval's loss change that a jump keeps after the halvings.
    public static let keptShare = 1e-3
    /// Changes at most this share of the larger |loss| at the ends are rounding, not jumps.
    public static let roundingShare = 1e-12

    /// Whether `loss` is discontinuous between the two points (`loss` evaluates any x between).
    public static func inside(
        from left: (x: Double, loss: Double), to right: (x: Double, loss: Double), halvings: Int,
        loss: (Double) throws -> Double
    ) rethrows -> Bool {
        let total = Swift.abs(right.loss - left.loss)
        guard total > roundingShare * Swift.max(Swift.abs(left.loss), Swift.abs(right.loss)) else { return false }
        var (a, b) = (left, right)
        for _ in 0..<halvings {
            let x = (a.x + b.x) / 2
            let middle = (x: x, loss: try loss(x))
            if Swift.abs(middle.loss - a.loss) >= Swift.abs(b.loss - middle.loss) { b = middle } else { a = middle }
        }
        return Swift.abs(b.loss - a.loss) > keptShare * total
    }
}
