import ArgumentParser
import Foundation
import TensorRuntime

/// Speed benchmarks, one subcommand per case. Build in release mode (`make bench`).
@main
struct SNNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snn-bench",
        abstract: "Benchmarks of the tensor runtime and the spiking engines.",
        discussion: "Each case prints one line, or one JSON object per line with --json. Ratios are ours / peer, measured in the same invocation.",
        subcommands: [GEMMCase.self, Conv2dCase.self, ElementwiseCase.self, SHDStepCase.self, CNNStepCase.self, ExactStepCase.self, CIFARStepCase.self, SST2StepCase.self, SpikeConvCase.self])
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
