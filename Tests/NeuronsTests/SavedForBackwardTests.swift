import CMalloc
import Neurons
import TensorRuntime
import XCTest

/// Guards the fused engine's memory for BPTT: what a forward pass keeps alive for the backward
/// is, per element and step, the spikes it returns and H of each of the plugin's K state
/// variables (`stateNames`), nothing more. A refactor that also saves U[t−1], the input a second
/// time or one tensor per state variable too many fails here, not only in a benchmark.
///
/// Measured from the outside, as the heap bytes still allocated after the forward while its output
/// (and with it the tape's pullback) is alive, in units of one [T, …] tensor; the tensors are 8 MB
/// each, so the heap's own small allocations are far below the half-tensor tolerance.
final class SavedForBackwardTests: XCTestCase {
    private let shape = [4, 1 << 18]

    func testEachPluginKeepsItsSpikesAndOneTensorPerStateVariable() throws {
        let input = Tensor.full(shape, value: 0.3, dtype: .float64).requiringGrad()
        let oneTensor = Double(input.count * 8)
        for name in NeuronRegistry.names {
            let engine = try NeuronRegistry.dynamics(named: name)
            let parameters = Tensor(
                shape: [engine.parameterNames.count], values: engine.initialParameters,
                dtype: .float64
            ).requiringGrad()
            let sharpness = Tensor.full([shape[0]], value: 4, dtype: .float64)
            let before = heapBytes()
            var output: NeuronOutput? = engine.run(
                input, parameters: parameters, sharpness: sharpness, initialState: nil, options: EngineOptions(),
                exposePotentials: false, returnFinalState: false)
            let kept = Double(heapBytes() - before) / oneTensor
            let stateCount = engine.stateNames.count
            XCTAssertEqual(
                kept, Double(1 + stateCount), accuracy: 0.5,
                "\(name): the forward keeps \(kept) tensors [T, …] alive; expected the spikes and H of its "
                    + "\(stateCount) state variable(s)")
            // Freeing the output frees them too: nothing else holds on to them.
            output = nil
            XCTAssertNil(output)
            XCTAssertLessThan(Double(heapBytes() - before) / oneTensor, 0.5, "\(name): the forward leaks")
        }
    }

    /// Bytes allocated from the heap, mapped chunks included.
    private func heapBytes() -> Int {
        let info = mallinfo2()
        return Int(info.uordblks) + Int(info.hblkhd)
    }
}
