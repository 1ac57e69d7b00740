/// Where a neuron parameter lives, so that a layer can train it without leaving that set.
///
/// A layer stores an unconstrained raw value r and hands the plugin f(r): the identity for
/// `.real`, σ(r) for `.unitInterval` (PLIF's decay) and softplus(r) for `.positive` (thresholds,
/// surrogate sharpness).
public enum ParameterDomain: String, Codable, Sendable {
    case real
    case unitInterval
    case positive
}
