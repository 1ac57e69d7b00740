import Foundation
import Neurons
import TensorRuntime
import TestSupport
import XCTest

/// What the engine does for every plugin with more than one state variable (each plugin's own
/// behaviour is in its `<Plugin>Tests`).
final class MultiStateNeuronTests: XCTestCase {
    /// The state of a plugin with several variables comes out as [K, …] and goes back in the
    /// same way; its names come from the plugin.
    func testStateNamesAndShapes() throws {
        XCTAssertEqual(try NeuronRegistry.dynamics(named: "alif").stateNames, ["membrane", "adaptation"])
        XCTAssertEqual(try NeuronRegistry.dynamics(named: "cuba-lif").stateNames, ["membrane", "current"])
        XCTAssertEqual(try NeuronRegistry.dynamics(named: "lif").stateNames, ["membrane"])
        XCTAssertEqual(
            try NeuronRegistry.dynamics(named: "alif").parameterNames,
            ["decay", "threshold", "adaptationDecay", "adaptation"])
        let out = try runNeuron("cuba-lif", input: [1, 2, 3])
        XCTAssertEqual(out.finalState!.shape, [2, 1])
    }
}
