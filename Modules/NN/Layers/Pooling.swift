import TensorRuntime

// Pooling acts on the last two axes, so [N, C, H, W] and [T, B, C, H, W] need no reshaping.

/// The window of a 2-D pooling layer: kernel, stride (the kernel size unless given) and padding.
public struct PoolingWindow: Sendable {
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)

    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
    }

    /// A square window.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }
}

/// A pooling layer defined by its window; the extension gives every such layer PyTorch-style
/// initialisers.
public protocol WindowPooling: Module {
    init(_ window: PoolingWindow)
}

extension WindowPooling {
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) {
        self.init(PoolingWindow(kernelSize: kernelSize, stride: stride, padding: padding))
    }

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(PoolingWindow(kernelSize: kernelSize, stride: stride, padding: padding))
    }
}

/// Max pooling over the last two axes.
public final class MaxPool2d: WindowPooling {
    public let window: PoolingWindow
    public var isTraining = true

    public init(_ window: PoolingWindow) { self.window = window }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.maxPool2d(kernel: window.kernelSize, stride: window.stride, padding: window.padding)
    }
}

/// Average pooling over the last two axes (zero padding counts towards the window).
public final class AvgPool2d: WindowPooling {
    public let window: PoolingWindow
    public var isTraining = true

    public init(_ window: PoolingWindow) { self.window = window }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.avgPool2d(kernel: window.kernelSize, stride: window.stride, padding: window.padding)
    }
}

/// Average pooling to a fixed output size over the last two axes, with PyTorch's windows:
/// output cell i covers input rows ⌊i·H/h⌋ ..< ⌈(i+1)·H/h⌉.
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int, Int)
    public var isTraining = true

    public init(outputSize: (Int, Int)) {
        precondition(
            outputSize.0 > 0 && outputSize.1 > 0, "AdaptiveAvgPool2d: output size \(outputSize) must be positive")
        self.outputSize = outputSize
    }

    public convenience init(outputSize: Int) { self.init(outputSize: (outputSize, outputSize)) }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank >= 2, "AdaptiveAvgPool2d: input needs two spatial axes, got \(input.shape)")
        let (h, w) = (input.shape[input.rank - 2], input.shape[input.rank - 1])
        let (oh, ow) = outputSize
        if oh == 1 && ow == 1 {
            return input.mean(axes: [input.rank - 2, input.rank - 1], keepDims: true)
        }
        if h % oh == 0 && w % ow == 0 {
            return input.avgPool2d(kernel: (h / oh, w / ow))
        }
        // Uneven windows: one slice and mean per output cell (rare; correctness over speed).
        let rows = (0..<oh).map { i -> Tensor in
            let top = i * h / oh
            let bottom = ((i + 1) * h + oh - 1) / oh
            let band = input.slice(axis: input.rank - 2, start: top, length: bottom - top)
            let cells = (0..<ow).map { j -> Tensor in
                let left = j * w / ow
                let right = ((j + 1) * w + ow - 1) / ow
                return band.slice(axis: input.rank - 1, start: left, length: right - left)
                    .mean(axes: [input.rank - 2, input.rank - 1], keepDims: true)
            }
            return Tensor.concat(cells, axis: input.rank - 1)
        }
        return Tensor.concat(rows, axis: input.rank - 2)
    }
}
