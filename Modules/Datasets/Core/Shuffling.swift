import TensorRuntime

extension SeededRNG {
    /// Uniform integer in `0..<bound` by Lemire's multiply-and-reject method.
    ///
    /// Written out here rather than taken from `Int.random(in:using:)`, whose algorithm the
    /// standard library may change; splits and shuffles must stay the same across toolchains.
    mutating func index(below bound: Int) -> Int {
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
    mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, index(below: i + 1))
        }
    }

    mutating func shuffled<T>(_ values: [T]) -> [T] {
        var copy = values
        shuffle(&copy)
        return copy
    }
}
