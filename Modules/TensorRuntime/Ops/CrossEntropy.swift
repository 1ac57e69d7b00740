/// Mean cross-entropy of `logits` [N, C] against class indices, with optional label smoothing:
/// the target puts 1 − ε + ε/C on the label and ε/C on every other class (PyTorch's definition).
///
/// Computed as logsumexp(z) − Σ_c q_c z_c per row, which is stable for large logits. It lives in
/// the runtime, below both the layer library and the event-driven simulator, so the two share
/// one definition.
public func crossEntropy(logits: Tensor, labels: [Int], labelSmoothing: Double = 0) -> Tensor {
    precondition(logits.rank == 2, "crossEntropy: logits must be [N, classes], got \(logits.shape)")
    precondition(
        labels.count == logits.shape[0],
        "crossEntropy: \(labels.count) labels for logits \(logits.shape) (expected \(logits.shape[0]))")
    precondition(
        labelSmoothing >= 0 && labelSmoothing <= 1,
        "crossEntropy: label smoothing \(labelSmoothing) is outside [0, 1]")
    let classes = logits.shape[1]
    var target = Tensor.oneHot(labels, classes: classes, dtype: logits.dtype)
    if labelSmoothing > 0 {
        target = target * (1 - labelSmoothing) + labelSmoothing / Double(classes)
    }
    let perSample = logits.logsumexp(axes: [1]) - (logits * target).sum(axes: [1])
    return perSample.mean()
}
