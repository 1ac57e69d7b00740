import TensorRuntime

/// The usual augmentation of event frames (e.g. in TET's and NDA's CIFAR10-DVS code, in simpler
/// form): per recording, a random translation by (dy, dx), each uniform in −maxShift…maxShift,
/// with zero fill, and a horizontal flip with probability ½ when `flip` is on. One draw per
/// recording, applied to all of its frames and both polarities, so the motion stays coherent.
public enum DVSAugmentation {
    /// `frames` [T, B, C, H, W] (Float32) augmented with draws from `rng` (three per recording:
    /// dy, dx, flip; in that order, recording by recording).
    public static func apply(_ frames: Tensor, maxShift: Int, flip: Bool, rng: inout SeededRNG) -> Tensor {
        precondition(frames.rank == 5, "DVSAugmentation: expected frames [T, B, C, H, W], got \(frames.shape)")
        precondition(maxShift >= 0, "DVSAugmentation: maxShift must be ≥ 0, got \(maxShift)")
        if maxShift == 0 && !flip { return frames }
        let (steps, batch, channels, height, width) = (
            frames.shape[0], frames.shape[1], frames.shape[2], frames.shape[3], frames.shape[4]
        )
        let source = frames.floats
        var target = [Float](repeating: 0, count: source.count)
        let span = UInt64(2 * maxShift + 1)
        for b in 0..<batch {
            let dy = Int(rng.next() % span) - maxShift
            let dx = Int(rng.next() % span) - maxShift
            let mirrored = flip && rng.next() % 2 == 1
            for t in 0..<steps {
                for c in 0..<channels {
                    let plane = ((t * batch + b) * channels + c) * height * width
                    for y in 0..<height {
                        let sy = y - dy
                        guard sy >= 0 && sy < height else { continue }
                        for x in 0..<width {
                            let shifted = x - dx
                            guard shifted >= 0 && shifted < width else { continue }
                            let sx = mirrored ? width - 1 - shifted : shifted
                            target[plane + y * width + x] = source[plane + sy * width + sx]
                        }
                    }
                }
            }
        }
        return Tensor(shape: frames.shape, scalars: target)
    }
}
