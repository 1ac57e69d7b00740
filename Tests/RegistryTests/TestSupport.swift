import Foundation
import Registry
import Synchronization
import XCTest

/// A clock the test moves by hand, so heartbeat ages need no sleeping.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_700_000_000))

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}

/// A fresh directory under the system temp folder, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("registry-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Opens a new registry in a temporary directory, on `clock` when given.
func makeRegistry(_ test: XCTestCase, clock: ManualClock? = nil, staleAfter: TimeInterval = 300) throws -> RunRegistry {
    var options = RegistryOptions()
    options.staleAfter = staleAfter
    if let clock { options.clock = { clock.now } }
    return try RunRegistry.open(path: try temporaryDirectory(test).appendingPathComponent("registry.sqlite").path, options: options)
}

/// Fixed provenance, so tests neither depend on git nor spawn it for every run.
let testProvenance = Provenance(
    gitCommit: "0123456789abcdef0123456789abcdef01234567", gitDirty: false, host: "test-host", os: "TestOS",
    cpuModel: "Test CPU", cpuCount: 2, memoryBytes: 1 << 30)

func spec(
    experiment: String = "shd", paper: String = "paper-a", neuron: String? = "lif", preset: String? = "smoke",
    config: String = "{\"timesteps\": 100}", seed: Int? = 0
) -> RunSpec {
    RunSpec(
        experiment: experiment, paper: paper, neuron: neuron, preset: preset, configJSON: config, seed: seed,
        provenance: testProvenance)
}
