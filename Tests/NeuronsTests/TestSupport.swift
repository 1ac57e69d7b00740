import Neurons
import TensorRuntime

/// One neuron of the registered plugin `name` driven by `input` (one value per step), in Float64
/// with the plugin's initial parameters and a surrogate sharpness of 4; potentials (before the
/// reset, first state variable) and the final state ([K] values) come back too.
func runNeuron(
    _ name: String, _ configuration: [String: Any] = [:], input: [Double],
    initialState: [Double]? = nil
) throws -> NeuronOutput {
    let engine = try NeuronRegistry.dynamics(named: name, configuration: configuration)
    // U has one step's shape, [1], after the state variables' axis when there are several.
    let state = initialState.map { Tensor(shape: $0.count > 1 ? [$0.count, 1] : [1], values: $0, dtype: .float64) }
    return engine.run(
        Tensor(shape: [input.count, 1], values: input, dtype: .float64),
        parameters: Tensor(
            shape: [engine.parameterNames.count], values: engine.initialParameters,
            dtype: .float64),
        sharpness: Tensor.full([input.count], value: 4, dtype: .float64), initialState: state,
        options: EngineOptions(), exposePotentials: true, returnFinalState: true)
}
