import Foundation
import Registry
import TestSupport
import XCTest

/// Fixed provenance, so tests neither depend on git nor spawn it for every run.
let testProvenance = Provenance(
    gitCommit: "0123456789abcdef0123456789abcdef01234567", gitDirty: false, host: "test-host", os: "TestOS",
    cpuModel: "Test CPU", cpuCount: 2, memoryBytes: 1 << 30)

/// A new, empty SQLite registry in a temporary directory.
func makeRegistry(_ test: XCTestCase) throws -> RunRegistry {
    try RunRegistry.open(path: try temporaryDirectory(test).appendingPathComponent("registry.sqlite").path)
}

func spec(
    experiment: String = "shd", paper: String = "paper-a", neuron: String? = "lif", preset: String? = "smoke",
    config: String = "{\"timesteps\": 100}", seed: Int? = 0
) -> RunSpec {
    RunSpec(
        experiment: experiment, paper: paper, neuron: neuron, preset: preset, configJSON: config, seed: seed,
        provenance: testProvenance)
}
