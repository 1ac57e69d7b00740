import Checkpoint
import EventSim
import ExperimentKit
import Foundation
import Landscapes
import NN
import Plot
import Registry
import TensorRuntime

/// Claims 2–4 measured around trained networks: for each exact model, the network its first
/// seed trained is scanned on a plane of filter-normalised random directions (Li et al. 2018)
/// — on a fixed validation subset and on single samples — and along a line for single samples,
/// where every step is checked for spikes that appear or vanish and for changes of spike
/// order. Both models get the same direction construction and seed, grid, and samples.
///
/// Each scan is a registry run (experiment `shd-landscape`) whose metrics the report reads and
/// whose figures and grids are its artifacts; a scan already completed for the same trained run
/// and landscape config is not repeated.
struct SHDLandscapeStage {
    static let experiment = "shd-landscape"
    /// A spike that (dis)appears later than T·(1 − endMargin), located by bisection to
    /// `bisections` halvings of the line step, counts as leaving through the trial end — the
    /// only way QIF spikes can leave (the notes); earlier ones are mid-trial.
    static let endMargin = 1e-3
    static let bisections = 40
    /// Step of the central finite difference that checks the exact gradient (claim 2).
    static let checkStep = 1e-6

    let pipeline: SHDPipeline

    func run() throws {
        for neuron in SHDPipeline.exactNeurons { try scan(neuron) }
    }

    /// The completed seed run of `neuron` whose network is scanned: the preset's first seed.
    func trainedRun(_ neuron: String) throws -> RunRecord {
        let seed = pipeline.config.value.seeds[0]
        let runs = try pipeline.registry.runs(
            RunFilter(
                paper: SHDReport.paper, experiment: pipeline.runner.experiment, neuron: neuron, preset: pipeline.preset,
                status: .completed))
        // The run of the report's row: the search's best configuration, not a manual `--set` run.
        let row = try SHDReport(pipeline: pipeline).fingerprint(neuron)
        let candidates = try runs.filter { run in
            try run.seed == seed && ConfigFingerprint.of(configJSON: run.configJSON) == row
        }
        guard let newest = candidates.max(by: { $0.id.rawValue < $1.id.rawValue }) else {
            throw SHDError.missingRuns(
                "landscape \(neuron): no completed seeds run with seed \(seed) for preset \(pipeline.preset); run the seeds stage first"
            )
        }
        return newest
    }

    func scan(_ neuron: String) throws {
        let source = try trainedRun(neuron)
        let trained = try ResumePoint.storedConfig(SHDConfig.self, of: source.id, in: pipeline.registry).value
        let settings = pipeline.config.value.landscape
        let record = LandscapeRecord(sourceRun: source.id.rawValue, landscape: settings)
        let spec = try RunSpec(
            experiment: Self.experiment, paper: SHDReport.paper, neuron: neuron, preset: pipeline.preset, config: record
        )
        let done = try pipeline.registry.runs(
            RunFilter(
                paper: SHDReport.paper, experiment: Self.experiment, neuron: neuron, preset: pipeline.preset,
                status: .completed))
        if done.contains(where: { $0.configJSON == spec.configJSON }) {
            pipeline.log("landscape \(neuron): already scanned around run \(source.id)")
            return
        }
        let data = try SHDData.load(trained.data, seed: trained.seed, dataDirectory: pipeline.options.dataDirectory())
        let sizes = [data.inputs] + trained.model.hidden + [data.classes]
        let network = try EventSHDNetwork(
            neuron: neuron, sizes: sizes, config: trained.model, duration: trained.data.duration, seed: trained.seed)
        try Checkpoint.load(into: network, from: try ResumePoint.lastCheckpoint(of: source.id, in: pipeline.registry))

        let run = try pipeline.registry.startRun(spec)
        do {
            let directory = pipeline.options.outputDirectory.appendingPathComponent(
                "landscapes/run-\(run)", isDirectory: true)
            let scanner = LandscapeScanner(network: network, samples: data.validation, settings: settings)
            var metrics = try scanner.planes(figures: directory, label: neuron) { kind, path in
                try pipeline.registry.addArtifact(run, kind: kind, path: path)
            }
            metrics += try scanner.lines(figures: directory, label: neuron) { kind, path in
                try pipeline.registry.addArtifact(run, kind: kind, path: path)
            }
            metrics.append(try scanner.gradientCheck())
            try pipeline.registry.logMetrics(
                run, metrics.map { MetricPoint(split: "landscape", name: $0.name, value: $0.value) })
            try pipeline.registry.finish(run, status: .completed)
            pipeline.log("landscape \(neuron): run \(run) around run \(source.id)")
        } catch {
            try? pipeline.registry.finish(run, status: .failed, reason: "\(error)")
            throw error
        }
    }
}

/// What a landscape run stores as its config: the trained run it scans and the settings.
struct LandscapeRecord: Codable {
    var sourceRun: Int64
    var landscape: LandscapeConfig
}

/// The scans around one trained network.
struct LandscapeScanner {
    let network: EventSHDNetwork
    let samples: EncodedSpikes
    let settings: LandscapeConfig
    /// The trained weights θ and the directions δ, η of every scan (drawn once).
    let center: [Tensor]
    let directions: ([Tensor], [Tensor])

    init(network: EventSHDNetwork, samples: EncodedSpikes, settings: LandscapeConfig) {
        self.network = network
        self.samples = samples
        self.settings = settings
        center = network.weights.map { $0.value.detached() }
        let seed = UInt64(settings.directionSeed)
        directions = (
            LandscapeDirections.filterNormalized(like: center, unitAxis: 1, seed: seed),
            LandscapeDirections.filterNormalized(like: center, unitAxis: 1, seed: seed &+ 1)
        )
    }
    var axis: LandscapeAxis { LandscapeAxis(radius: settings.radius, points: settings.points) }
    var subset: [Int] { Array(0..<min(settings.subsetSamples, samples.count)) }
    var singles: [Int] { Array(0..<min(settings.singleSamples, samples.count)) }

    /// Loss, exact gradient and output spike counts of `indices` at `weights`.
    func evaluate(_ weights: [Tensor], _ indices: [Int]) throws -> LandscapePoint {
        let leaves = weights.map { $0.detached().requiringGrad() }
        let output = try network.simulate(indices.map { samples.inputs[$0] }, weights: leaves)
        let loss = network.outcome(of: output, labels: indices.map { samples.labels[$0] }).loss
        loss.backward()
        let gradient = leaves.flatMap { leaf in
            leaf.grad?.doubles ?? [Double](repeating: 0, count: leaf.shape.reduce(1, *))
        }
        return LandscapePoint(loss: loss.item, gradient: gradient, pattern: output.spikeCounts.doubles.map { Int($0) })
    }

    /// The loss alone (no gradient), for line scans and finite differences.
    func loss(_ weights: [Tensor], _ indices: [Int]) throws -> Double {
        try Tape.withoutGradient {
            let output = try network.simulate(indices.map { samples.inputs[$0] }, weights: weights)
            return network.outcome(of: output, labels: indices.map { samples.labels[$0] }).loss.item
        }
    }

    /// Planes on the subset and on each single sample; figures of the subset and the first sample.
    func planes(figures: URL, label: String, artifact: (String, String) throws -> Void) throws -> [(
        name: String, value: Double
    )] {
        let subsetPlane = try LandscapeScan.plane(center: center, directions: directions, alphas: axis, betas: axis) {
            try evaluate($0, subset)
        }
        try Self.requireFinite(subsetPlane, "\(label), subset")
        var metrics = Self.named(try fragmentation(subsetPlane, subset), prefix: "subset")
        try save(
            subsetPlane, name: "\(label)-subset", title: "\(label): loss, \(subset.count) validation samples",
            in: figures, artifact: artifact)
        var singleMetrics: [[(name: String, value: Double)]] = []
        for sample in singles {
            let plane = try LandscapeScan.plane(center: center, directions: directions, alphas: axis, betas: axis) {
                try evaluate($0, [sample])
            }
            try Self.requireFinite(plane, "\(label), sample \(sample)")
            singleMetrics.append(Self.named(try fragmentation(plane, [sample]), prefix: "single"))
            if sample == 0 {
                try save(
                    plane, name: "\(label)-single", title: "\(label): loss, validation sample 0", in: figures,
                    artifact: artifact)
            }
        }
        // Single-sample numbers are means over the samples.
        for (index, entry) in (singleMetrics.first ?? []).enumerated() {
            metrics.append(
                (entry.name, singleMetrics.map { $0[index].value }.reduce(0, +) / Double(singleMetrics.count)))
        }
        return metrics
    }

    /// The plane's fragmentation; its jump test evaluates the loss of `indices` between grid points.
    func fragmentation(_ plane: Landscape2D, _ indices: [Int]) throws -> Fragmentation {
        try Fragmentation.measure(plane, jumpFactor: settings.jumpFactor) { alpha, beta in
            try loss(center.indices.map { center[$0] + alpha * directions.0[$0] + beta * directions.1[$0] }, indices)
        }
    }

    /// Fragmentation needs finite losses; a diverged point is reported, not averaged in.
    static func requireFinite(_ plane: Landscape2D, _ what: String) throws {
        guard plane.loss.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw SHDError.invalidData(
                "landscape \(what): the loss is not finite at some grid points; reduce landscape.radius")
        }
    }

    static func named(_ f: Fragmentation, prefix: String) -> [(name: String, value: Double)] {
        [
            ("\(prefix)_jump_fraction", f.jumpFraction), ("\(prefix)_steep_edge_fraction", f.steepEdgeFraction),
            ("\(prefix)_relative_total_variation", f.relativeTotalVariation),
            ("\(prefix)_distinct_patterns", Double(f.distinctPatterns)),
            ("\(prefix)_pattern_change_fraction", f.patternChangeFraction),
            ("\(prefix)_gradient_cosine", f.neighbourGradientCosine ?? .nan),
        ]
    }

    private func save(
        _ plane: Landscape2D, name: String, title: String, in directory: URL, artifact: (String, String) throws -> Void
    ) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let range = -settings.radius...settings.radius
        let loss = directory.appendingPathComponent("\(name)-loss.png").path
        try Heatmap(values: plane.loss, xRange: range, yRange: range, title: title, xLabel: "alpha", yLabel: "beta")
            .save(to: loss)
        try artifact("figure", loss)
        let norm = directory.appendingPathComponent("\(name)-gradient-norm.png").path
        try Heatmap(
            values: plane.gradientNorm.map { $0.map { log10(max($0, 1e-12)) } }, xRange: range, yRange: range,
            title: "\(title.replacingOccurrences(of: "loss", with: "log10 |gradient|"))", xLabel: "alpha",
            yLabel: "beta"
        ).save(to: norm)
        try artifact("figure", norm)
        let grid = directory.appendingPathComponent("\(name)-grid.csv")
        try plane.csv().write(to: grid, atomically: true, encoding: .utf8)
        try artifact("landscape-grid", grid.path)
    }

    /// Single-sample lines along the first direction, every step classified (claim 4).
    func lines(figures: URL, label: String, artifact: (String, String) throws -> Void) throws -> [(
        name: String, value: Double
    )] {
        let steps = LandscapeAxis(radius: settings.radius, points: settings.linePoints).values
        let direction = directions.0
        var tally = LineTally()
        var firstLine: [Double] = []
        for sample in singles {
            let rasterAt = { (step: Double) in
                try network.raster(samples.inputs[sample], weights: zip(center, direction).map { $0 + step * $1 })
            }
            let lossAt = { (step: Double) in try loss(zip(center, direction).map { $0 + step * $1 }, [sample]) }
            let losses = try steps.map(lossAt)
            try tally.add(
                steps: steps, losses: losses, duration: network.duration, rasterAt: rasterAt, lossAt: lossAt)
            if sample == 0 { firstLine = losses }
        }
        let path = figures.appendingPathComponent("\(label)-line.png").path
        try LinePlot(
            series: [LineSeries(name: label, x: steps, y: firstLine)],
            title: "\(label): loss along a line, validation sample 0",
            xLabel: "alpha", yLabel: "loss"
        ).save(to: path)
        try artifact("figure", path)
        return tally.metrics
    }

    /// Claim 2: the exact gradient's projection on the first direction against a central
    /// finite difference of the subset loss. Returns the relative error.
    func gradientCheck() throws -> (name: String, value: Double) {
        let direction = directions.0
        let exact = try evaluate(center, subset).gradient ?? []
        let projected = zip(exact, direction.flatMap(\.doubles)).reduce(0) { $0 + $1.0 * $1.1 }
        let h = SHDLandscapeStage.checkStep
        let plus = try loss(zip(center, direction).map { $0 + h * $1 }, subset)
        let minus = try loss(zip(center, direction).map { $0 - h * $1 }, subset)
        let difference = (plus - minus) / (2 * h)
        return (
            "gradient_check_relative_error", abs(projected - difference) / max(abs(projected), abs(difference), 1e-12)
        )
    }
}

/// Counts, over the steps of single-sample lines, loss discontinuities, spike (dis)appearances
/// (mid-trial or at the trial end) and spike-order changes, and how often they coincide. A step
/// counts as one event of each kind however many spikes change in it; a mid-trial change is
/// judged at the first point of the step where spike counts change.
struct LineTally {
    var steps = 0
    var lossJumps = 0
    var spikeChanges = 0
    var midTrialChanges = 0
    var orderChanges = 0
    var jumpsWithSpikeChange = 0
    var spikeChangesWithOrderChange = 0

    /// Adds one line: `losses` at `steps`, and `rasterAt` / `lossAt` to simulate any point of it.
    mutating func add(
        steps points: [Double], losses: [Double], duration: Double,
        rasterAt: (Double) throws -> [NetworkSpike], lossAt: (Double) throws -> Double
    ) throws {
        let rasters = try points.map(rasterAt)
        for edge in 0..<(points.count - 1) {
            let change = RasterChange.between(rasters[edge], rasters[edge + 1])
            let spikeChange = change.appeared + change.vanished > 0
            let jump = try Self.containsDiscontinuity(
                from: (points[edge], losses[edge]), to: (points[edge + 1], losses[edge + 1]), lossAt: lossAt)
            steps += 1
            if jump { lossJumps += 1 }
            if spikeChange { spikeChanges += 1 }
            if change.orderChanged { orderChanges += 1 }
            if jump && spikeChange { jumpsWithSpikeChange += 1 }
            if spikeChange && change.orderChanged { spikeChangesWithOrderChange += 1 }
            guard spikeChange else { continue }
            let (before, after) = try Self.firstCountChange(
                from: (points[edge], rasters[edge]), to: (points[edge + 1], rasters[edge + 1]), rasterAt: rasterAt)
            if Self.hasMidTrialChange(before, after, before: duration * (1 - SHDLandscapeStage.endMargin)) {
                midTrialChanges += 1
            }
        }
    }

    /// Whether the loss jumps inside the step (`Discontinuity.inside`, `bisections` halvings).
    static func containsDiscontinuity(
        from left: (step: Double, loss: Double), to right: (step: Double, loss: Double),
        lossAt: (Double) throws -> Double
    ) throws -> Bool {
        try Discontinuity.inside(
            from: (left.step, left.loss), to: (right.step, right.loss),
            halvings: SHDLandscapeStage.bisections, loss: lossAt)
    }

    /// Bisects a step whose ends differ in spike counts down to the first point where the
    /// counts change, and returns the rasters just before and just after it: there a spike
    /// that vanishes or appears shows the time it had, which a coarse step would hide.
    static func firstCountChange(
        from left: (step: Double, raster: [NetworkSpike]), to right: (step: Double, raster: [NetworkSpike]),
        rasterAt: (Double) throws -> [NetworkSpike]
    ) throws -> ([NetworkSpike], [NetworkSpike]) {
        func counts(_ raster: [NetworkSpike]) -> [[Int]: Int] {
            raster.reduce(into: [:]) { $0[[$1.layer, $1.unit], default: 0] += 1 }
        }
        let start = counts(left.raster)
        var (lo, hi, before, after) = (left.step, right.step, left.raster, right.raster)
        for _ in 0..<SHDLandscapeStage.bisections {
            let middle = (lo + hi) / 2
            let raster = try rasterAt(middle)
            if counts(raster) == start { (lo, before) = (middle, raster) } else { (hi, after) = (middle, raster) }
        }
        return (before, after)
    }

    /// Whether a spike that exists on only one side of the step lies before `limit`.
    static func hasMidTrialChange(_ a: [NetworkSpike], _ b: [NetworkSpike], before limit: Double) -> Bool {
        func byNeuron(_ raster: [NetworkSpike]) -> [[Int]: [Double]] {
            Dictionary(grouping: raster, by: { [$0.layer, $0.unit] }).mapValues { $0.map(\.time) }
        }
        let (left, right) = (byNeuron(a), byNeuron(b))
        for neuron in Set(left.keys).union(right.keys) {
            let (x, y) = (left[neuron] ?? [], right[neuron] ?? [])
            guard x.count != y.count else { continue }
            let extra = x.count > y.count ? x.dropFirst(y.count) : y.dropFirst(x.count)
            if extra.contains(where: { $0 < limit }) { return true }
        }
        return false
    }

    var metrics: [(name: String, value: Double)] {
        [
            ("line_steps", Double(steps)), ("line_loss_jumps", Double(lossJumps)),
            ("line_spike_changes", Double(spikeChanges)),
            ("line_mid_trial_spike_changes", Double(midTrialChanges)), ("line_order_changes", Double(orderChanges)),
            ("line_jumps_with_spike_change", Double(jumpsWithSpikeChange)),
            ("line_spike_changes_with_order_change", Double(spikeChangesWithOrderChange)),
        ]
    }
}
