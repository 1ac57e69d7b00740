import Foundation

/// Times repeated runs of a closure and reports the median, which is robust to the noise of a
/// shared machine.
struct Measurement {
    var samplesMs: [Double]

    var medianMs: Double {
        let sorted = samplesMs.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Runs `body` `warmup` times untimed, then `iterations` times timed.
    static func run(warmup: Int, iterations: Int, _ body: () -> Void) -> Measurement {
        for _ in 0..<warmup { body() }
        var samples: [Double] = []
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return Measurement(samplesMs: samples)
    }

    /// Measures two closures alternately, so that drift in machine load hits both equally.
    static func interleaved(warmup: Int, iterations: Int, _ a: () -> Void, _ b: () -> Void)
        -> (Measurement, Measurement)
    {
        for _ in 0..<warmup {
            a()
            b()
        }
        var first = Measurement(samplesMs: [])
        var second = Measurement(samplesMs: [])
        for _ in 0..<iterations {
            settle()
            first.samplesMs += run(warmup: 0, iterations: 1, a).samplesMs
            settle()
            second.samplesMs += run(warmup: 0, iterations: 1, b).samplesMs
        }
        return (first, second)
    }

    /// Waits until the other side's idle threads have gone to sleep before a side is timed:
    /// OpenBLAS's threads spin for about 2²⁸ cycles (0.1 s) after a call, so a side timed right
    /// after the raw threaded GEMM would share the cores with a spinning thread. The pause costs
    /// both sides of an in-process pair alike (a core idle for 0.1 s runs the next steps slower
    /// on this kind of virtual machine), so the peer process's rounds (`Comparison`) go without.
    static func settle() { usleep(250_000) }
}

/// Peak resident memory of this process so far (VmHWM), in MB.
func peakResidentMegabytes() -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first
        return kb.map { $0 / 1024 }
    }
    return nil
}

/// One benchmark result: printed as a JSON object per line with `--json`, else as text.
///
/// Every case runs in a process of its own (`make bench` starts one per case), so the peak
/// resident memory it reports, read when it is emitted, is this case's; a peer's is its own
/// process's (getrusage).
struct BenchResult {
    var name: String
    var medianMs: Double
    var extra: [(String, Any)] = []
    var peer: String?
    var peerMedianMs: Double?
    var peerPeakResidentMegabytes: Double?

    /// Records the peer of a `Comparison` (the first of its peers).
    mutating func setPeer(_ session: PeerSession, _ measurement: Measurement) {
        peer = "torch"
        peerMedianMs = measurement.medianMs
        peerPeakResidentMegabytes = session.peakResidentMegabytes
    }

    func emit(json: Bool) {
        var fields: [(String, Any)] = [("case", name), ("median_ms", rounded(medianMs))]
        if let peer, let peerMedianMs {
            fields += [
                ("peer", peer), ("peer_median_ms", rounded(peerMedianMs)), ("ratio", rounded(medianMs / peerMedianMs)),
            ]
        }
        fields += extra.map { ($0.0, ($0.1 as? Double).map(rounded) ?? $0.1) }
        fields.append(("peak_rss_mb", rounded(peakResidentMegabytes() ?? -1)))
        if let peerPeakResidentMegabytes { fields.append(("peer_peak_rss_mb", rounded(peerPeakResidentMegabytes))) }
        if json {
            let body = fields.map { key, value in
                let encoded = value is String ? "\"\(value)\"" : "\(value)"
                return "\"\(key)\": \(encoded)"
            }
            print("{" + body.joined(separator: ", ") + "}")
        } else {
            print(fields.map { "\($0.0)=\($0.1)" }.joined(separator: "  "))
        }
    }

    private func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
