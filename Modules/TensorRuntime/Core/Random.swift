import RealModule

/// A seeded, splittable, reproducible random number generator (xoshiro256**, seeded through
/// SplitMix64).
///
/// Reproducibility across runs and machines is the point: every random tensor, shuffle and
/// augmentation takes one of these explicitly. `split()` derives an independent child stream,
/// so a data loader, a weight initialiser and a dropout layer can each own one without their
/// draws depending on each other's order.
public struct SeededRNG: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var sm = seed
        state = (Self.splitMix(&sm), Self.splitMix(&sm), Self.splitMix(&sm), Self.splitMix(&sm))
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = (state.1 &* 5).rotatedLeft(by: 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3.rotatedLeft(by: 45)
        return result
    }

    /// A child generator whose stream is independent of this one's later draws.
    public mutating func split() -> SeededRNG {
        SeededRNG(seed: next() ^ 0x6A09_E667_F3BC_C909)
    }

    /// A child generator for stream `index`, derived without advancing this one (for workers
    /// and samples that must get the same stream whatever order they run in).
    public func stream(_ index: Int) -> SeededRNG {
        var sm = state.0 ^ state.2 ^ (UInt64(bitPattern: Int64(index)) &* 0xD1B5_4A32_D192_ED03)
        return SeededRNG(seed: Self.splitMix(&sm))
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal (Box–Muller).
    public mutating func nextNormal() -> Double {
        var u = nextUnit()
        while u == 0 { u = nextUnit() }
        let v = nextUnit()
        return (-2 * Double.log(u)).squareRoot() * Double.cos(2 * Double.pi * v)
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotatedLeft(by k: UInt64) -> UInt64 { (self << k) | (self >> (64 - k)) }
}

/// Toolchain-stable integer draws and shuffles: splits, batch orders and subsets must be the
/// same for the same seed on every machine and Swift version.
extension SeededRNG {
    /// Uniform integer in `0..<bound` by Lemire's multiply-and-reject method.
    ///
    /// Written out here rather than taken from `Int.random(in:using:)`, whose algorithm the
    /// standard library may change; splits and shuffles must stay the same across toolchains.
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0)
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// A Fisher–Yates shuffle with `index(below:)`, stable across toolchains for the same seed.
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, index(below: i + 1))
        }
    }

    public mutating func shuffled<T>(_ values: [T]) -> [T] {
        var copy = values
        shuffle(&copy)
        return copy
    }
}
