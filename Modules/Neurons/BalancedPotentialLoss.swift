import TensorRuntime

/// The positive-negative balanced (PNB) loss of paper 3, as this project defines it from the
/// abstract (papers/zhou2026-circulate-firing/README.md): for each spiking layer l with
/// potentials H_l before firing,
///
///     L_PNB = Σ_l ( mean(relu(H_l)) − mean(relu(−H_l)) )²,
///
/// zero when the positive and negative potential mass balance. Added to the task loss with a
/// weight λ.
public enum BalancedPotentialLoss {
    /// L_PNB over the given potentials (one tensor per layer), differentiable.
    public static func loss(_ potentials: [Tensor]) -> Tensor {
        precondition(!potentials.isEmpty, "BalancedPotentialLoss: no layer potentials (did the layers record them?)")
        let terms = potentials.map { h in (h.relu().mean() - (-h).relu().mean()).squared() }
        return terms.dropFirst().reduce(terms[0], +)
    }

    /// L_PNB over layers that record their potentials.
    public static func loss(_ layers: [SpikingNeurons]) -> Tensor {
        loss(layers.map { layer in
            guard let h = layer.lastPotentials else {
                preconditionFailure("BalancedPotentialLoss: layer \(layer.dynamics.neuronName) has no recorded potentials; set recordsPotentials")
            }
            return h
        })
    }
}
