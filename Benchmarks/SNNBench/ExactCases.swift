import ArgumentParser
import EventSim
import Foundation
import TensorRuntime

/// Forward + exact backward of a 700 → 128 → 20 event-driven network on a batch of 64
/// SHD-like samples (2000 input spikes each over one membrane time constant). No peer runs in
/// this invocation: the method's JAX code, measured by issue 21 on main in one sitting on a 2-core
/// machine, took 111.7 ms (QIF, 5.6 GB) and 15.7 ms (LIF) per sample (README, Benchmarks).
struct ExactStepCase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exact-step", abstract: "Event-driven exact-gradient step, 700-128-20, batch 64.")
    @OptionGroup var options: CommonOptions

    @Option(help: "Neuron model: qif or lif.")
    var neuron = "qif"

    @Option(help: "Samples per batch.")
    var batch = 64

    @Option(help: "Input spikes per sample.")
    var inputSpikes = 2000

    func run() throws {
        switch neuron {
        case "qif":
            // Hidden cells fire tens of spikes, outputs a few, per sample (see the printed rates).
            try measure(ExactQIF(), hiddenWeight: 7, outputWeight: 0.08)
        case "lif":
            try measure(ExactLIF(), hiddenWeight: 0.05, outputWeight: 0.004)
        default:
            throw ValidationError("--neuron must be qif or lif, got \(neuron)")
        }
    }

    /// Weights are uniform in [−m, 3m] (mean m), so cells get mixed-sign input.
    private func measure<N: EventDrivenNeuron>(_ model: N, hiddenWeight: Double, outputWeight: Double) throws {
        let sizes = [700, 128, 20]
        let duration = model.tau
        let net = EventNetwork(
            neuron: model,
            config: EventNetworkConfig(
                layerSizes: sizes, duration: duration, eventBudget: 200_000, outputSlots: 1))
        var rng = SeededRNG(seed: 7)
        let weights = zip(net.weightShapes, [hiddenWeight, outputWeight]).map { shape, m in
            Tensor(
                shape: shape,
                scalars: (0..<shape[0] * shape[1]).map { _ in Double.random(in: -m...(3 * m), using: &rng) }
            )
            .requiringGrad()
        }
        let inputs = (0..<batch).map { _ in
            let times = (0..<inputSpikes).map { _ in Double.random(in: 0..<duration, using: &rng) }.sorted()
            return SpikeTrain(times: times, channels: times.map { _ in Int32.random(in: 0..<700, using: &rng) })
        }
        let labels = (0..<batch).map { _ in Int.random(in: 0..<20, using: &rng) }
        var statistics: EventStatistics?
        var nonFinite = 0
        var checksum = ""
        let cpuStart = processCPUSeconds()
        let timing = try Measurement.runThrowing(warmup: options.warmup, iterations: options.iterations) {
            let out = try net(weights: weights, inputs: inputs)
            let loss = EventLosses.firstSpikeCrossEntropy(
                spikeTimes: out.spikeTimes, labels: labels, duration: duration)
            loss.backward()
            checksum = bitsChecksum(out.spikeTimes.doubles + weights.flatMap { $0.grad?.doubles ?? [] })
            for w in weights { w.zeroGrad() }
            statistics = out.statistics
            nonFinite = out.gradientHealth.nonFiniteSamples.count
        }
        guard let statistics else { return }
        // CPU time (summed over threads, warm-up included) per sample: less sensitive to other
        // processes on a shared machine than the wall-clock median.
        let cpuMsPerSample =
            (processCPUSeconds() - cpuStart) * 1000 / Double((options.warmup + options.iterations) * batch)
        let events = statistics.meanEventsPerSample * Double(batch)
        BenchResult(
            name: "exact-step-\(neuron)", medianMs: timing.medianMs,
            extra: [
                ("ms_per_sample", timing.medianMs / Double(batch)),
                ("events_per_second", events / (timing.medianMs / 1000)),
                ("cpu_ms_per_sample", cpuMsPerSample),
                ("events_per_sample", statistics.meanEventsPerSample),
                ("hidden_spikes_per_neuron", Double(statistics.spikesPerLayer[0]) / Double(batch * sizes[1])),
                ("output_spikes_per_neuron", Double(statistics.spikesPerLayer[1]) / Double(batch * sizes[2])),
                ("silent_hidden_fraction", statistics.silentFraction[0]),
                ("non_finite_gradients", nonFinite),
                ("threads", options.threads),
                ("result_checksum", checksum),
            ]
        ).emit(json: options.json)
    }
}

/// FNV-1a, one 64-bit word at a time, over the bit patterns of the spike times and gradients: a
/// speed change shows by it that it leaves the results alone (same seed, same bits).
private func bitsChecksum(_ values: [Double]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for value in values {
        hash = (hash ^ value.bitPattern) &* 0x0000_0100_0000_01b3
    }
    return String(hash, radix: 16)
}

/// CPU time of this process so far (all threads).
private func processCPUSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

extension Measurement {
    /// `run` for a body that can throw (the event budget).
    static func runThrowing(warmup: Int, iterations: Int, _ body: () throws -> Void) throws -> Measurement {
        var failure: Error?
        let result = run(warmup: warmup, iterations: iterations) {
            guard failure == nil else { return }
            do { try body() } catch { failure = error }
        }
        if let failure { throw failure }
        return result
    }
}
