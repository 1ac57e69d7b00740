import ArgumentParser
import Foundation
import TensorRuntime

/// Speed benchmarks, one subcommand per case. Build in release mode (`make bench`).
@main
struct SNNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snn-bench",
        abstract: "Benchmarks of the tensor runtime and the spiking engines.",
        discussion:
            "Each case prints one line, or one JSON object per line with --json. Ratios are ours / peer, measured in the same invocation.",
        subcommands: [
            GEMMCase.self, Conv2dCase.self, ElementwiseCase.self, SHDStepCase.self, CNNStepCase.self,
            ExactStepCase.self, CIFARStepCase.self, SST2StepCase.self, SpikeConvCase.self, SpikeLinearCase.self,
        ])
}

/// Options every case shares.
struct CommonOptions: ParsableArguments {
    @Flag(help: "Print one JSON object per case.")
    var json = false

    @Option(help: "Timed iterations (the median is reported).")
    var iterations = 10

    @Option(help: "Untimed warm-up iterations.")
    var warmup = 2

    @Option(help: "A Python with torch to run the same case as a peer (e.g. .venv/bin/python).")
    var peer: String?

    var threads: Int { Parallel.threadCount }
}

extension CommonOptions {
    /// Times `body` and, with `--peer`, the peer of `name` once per argument list in `peers`,
    /// alternating rounds (see `Comparison`).
    func compare(_ name: String, peers peerArguments: [[String]] = [[]], _ body: () -> Void) throws
        -> (ours: Measurement, peers: [(PeerSession, Measurement)])
    {
        guard let peer else { return (Measurement.run(warmup: warmup, iterations: iterations, body), []) }
        let torch = try TorchPeer(python: peer)
        let sessions = try peerArguments.map { try torch.start(name, arguments: $0, options: self) }
        let comparison = try Comparison.run(self, peers: sessions, body)
        return (comparison.ours, Array(zip(sessions, comparison.peers)))
    }
}
