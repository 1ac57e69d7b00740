import Registry

// Registry values the test targets that store runs share. Apart from TestSupport so that the
// numeric test targets do not link GRDB.

/// Fixed provenance, so tests neither depend on git nor spawn it for every run.
public let testProvenance = Provenance(
    gitCommit: "0123456789abcdef0123456789abcdef01234567", gitDirty: false, host: "test-host", os: "TestOS",
    cpuModel: "Test CPU", cpuCount: 2, memoryBytes: 1 << 30)

/// A run's specification with defaults for every field a test does not care about.
public func spec(
    experiment: String = "shd", paper: String = "paper-a", neuron: String? = "lif", preset: String? = "smoke",
    config: String = "{\"timesteps\": 100}", seed: Int? = 0
) -> RunSpec {
    RunSpec(
        experiment: experiment, paper: paper, neuron: neuron, preset: preset, configJSON: config, seed: seed,
        provenance: testProvenance)
}
