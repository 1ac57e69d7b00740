import TensorRuntime

/// The positive-negative balanced (PNB) loss of paper 3, as this project defines it from the
/// abstract (papers/zhou2026-circulate-firing/README.md). For each spiking layer l with
/// potentials H_l before firing, P_l = mean(relu(H_l)) and N_l = mean(relu(−H_l)) are its positive
/// and negative potential mass, and the loss is zero when they balance:
///
///     raw:        L_PNB = Σ_l (P_l − N_l)²
///     relative:   L_PNB = (1/L) Σ_l ((P_l − N_l) / (P_l + N_l))²      (P_l + N_l = mean |H_l|)
///     per-neuron: L_PNB = (1/L) Σ_l (1/n_l) Σ_i ((P_li − N_li) / (P_li + N_li))²
///
/// The raw form is in the units of the potentials squared and grows with depth, so its size
/// depends on the threshold, tdBN's scale and the layer count. The relative form divides each
/// layer's imbalance by its potential scale mean |H_l| and averages over layers: it lies in
/// [0, 1], 1 when every layer's potentials are all of one sign, so a weight λ = 1 puts a
/// one-sided network on a par with one nat of cross-entropy whatever the threshold or depth.
/// (Both are small under tdBN, which centres every layer's input: the imbalance itself is small,
/// not only its scale.) The gradient flows through the scale too.
///
/// The per-neuron form (ours, issue 18) takes P_li and N_li of each neuron i (one element of a
/// step's [B, …] potentials) over time steps and batch, so that imbalances of opposite sign in
/// different neurons or channels no longer cancel in the layer's mean; it lies in [0, 1] too.
/// tdBN fixes each channel's mean over time, batch and positions, not each neuron's.
public enum BalancedPotentialLoss {
    public enum Form: String, Codable, CaseIterable, Sendable {
        case raw
        case relative
        case perNeuron = "per-neuron"
    }

    /// L_PNB over the given potentials (one tensor per layer), differentiable.
    public static func loss(_ potentials: [Tensor], form: Form = .raw) -> Tensor {
        precondition(!potentials.isEmpty, "BalancedPotentialLoss: no layer potentials (did the layers record them?)")
        let terms = potentials.map { h -> Tensor in
            switch form {
            case .raw:
                return (h.relu().mean() - (-h).relu().mean()).squared()
            case .relative:
                return balance(h, axes: nil)
            case .perNeuron:
                precondition(
                    h.rank >= 2, "BalancedPotentialLoss: the per-neuron form needs potentials [T, B, …], got \(h.shape)"
                )
                return balance(h, axes: [0, 1]).mean()
            }
        }
        let sum = terms.dropFirst().reduce(terms[0], +)
        return form == .raw ? sum : sum * (1 / Double(terms.count))
    }

    /// ((P − N)/(P + N))² with P and N the means of relu(±h) over `axes` (nil: all).
    private static func balance(_ h: Tensor, axes: [Int]?) -> Tensor {
        let positive = h.relu().mean(axes: axes)
        let negative = (-h).relu().mean(axes: axes)
        // Potentials that are all zero are balanced; the floor keeps them finite.
        return ((positive - negative) / (positive + negative + scaleFloor)).squared()
    }

    /// Added to mean |H_l| in the relative forms: far below any potential scale a trained layer has.
    public static let scaleFloor = 1e-6

    /// L_PNB over layers that record their potentials.
    public static func loss(_ layers: [SpikingNeurons], form: Form = .raw) -> Tensor {
        loss(
            layers.map { layer in
                guard let h = layer.lastPotentials else {
                    preconditionFailure(
                        "BalancedPotentialLoss: layer \(layer.dynamics.neuronName) has no recorded potentials; set recordsPotentials"
                    )
                }
                return h
            }, form: form)
    }
}
