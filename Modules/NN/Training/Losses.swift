import TensorRuntime

/// Mean of (predictions − targets)² over all elements; the shapes must match.
public func meanSquaredError(_ predictions: Tensor, _ targets: Tensor) -> Tensor {
    precondition(
        predictions.shape == targets.shape,
        "meanSquaredError: predictions \(predictions.shape) and targets \(targets.shape) differ")
    return (predictions - targets).squared().mean()
}

/// The TET loss (Deng et al. 2022) for per-time-step logits [T, B, classes]:
/// (1 − λ)·(1/T)·Σ_t CE(logits_t, labels) + λ·MSE(logits, φ).
///
/// The MSE term pulls every output towards the constant `mseTarget` φ (the authors' code uses
/// φ = 1); λ = 0 leaves the plain TET term. All time steps go through one cross-entropy over
/// [T·B, classes] (a reshape, no copy), whose mean is exactly the mean over t of the per-step means.
public func tetLoss(
    logits: Tensor, labels: [Int], lambda: Double = 0, mseTarget: Double = 1,
    labelSmoothing: Double = 0
) -> Tensor {
    precondition(logits.rank == 3, "tetLoss: logits must be [T, B, classes], got \(logits.shape)")
    precondition(
        labels.count == logits.shape[1],
        "tetLoss: \(labels.count) labels for logits \(logits.shape) (expected B = \(logits.shape[1]))")
    precondition(lambda >= 0 && lambda <= 1, "tetLoss: lambda \(lambda) is outside [0, 1]")
    let steps = logits.shape[0]
    let flat = logits.reshaped([-1, logits.shape[2]])
    let repeated = Array((0..<steps).map { _ in labels }.joined())
    let tet = crossEntropy(logits: flat, labels: repeated, labelSmoothing: labelSmoothing)
    guard lambda > 0 else { return tet }
    let mse = (logits - mseTarget).squared().mean()
    return tet * (1 - lambda) + mse * lambda
}

/// The fraction of rows of `logits` [N, C] whose largest entry is at the label.
public func accuracy(logits: Tensor, labels: [Int]) -> Double {
    topKAccuracy(logits: logits, labels: labels, k: 1)
}

/// The fraction of rows of `logits` [N, C] whose label is among the k largest entries (ties
/// count in the label's favour: it must have fewer than k strictly larger entries).
public func topKAccuracy(logits: Tensor, labels: [Int], k: Int) -> Double {
    precondition(logits.rank == 2, "topKAccuracy: logits must be [N, classes], got \(logits.shape)")
    precondition(
        labels.count == logits.shape[0],
        "topKAccuracy: \(labels.count) labels for logits \(logits.shape)")
    precondition(k >= 1, "topKAccuracy: k must be at least 1, got \(k)")
    guard !labels.isEmpty else { return 0 }
    let classes = logits.shape[1]
    let values = logits.doubles
    var hits = 0
    for (row, label) in labels.enumerated() {
        precondition(
            label >= 0 && label < classes, "topKAccuracy: label \(label) in row \(row) is outside 0..<\(classes)")
        let scores = values[(row * classes)..<((row + 1) * classes)]
        let target = scores[scores.startIndex + label]
        if scores.lazy.filter({ $0 > target }).count < k { hits += 1 }
    }
    return Double(hits) / Double(labels.count)
}
