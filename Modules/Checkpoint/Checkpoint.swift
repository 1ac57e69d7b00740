import Foundation
import HDF5
import NN
import TensorRuntime

/// Why a checkpoint could not be written or read, naming the file and the tensor involved.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Saves and restores a model's parameters and buffers, and optionally an optimizer's state, as
/// an HDF5 file that h5py reads directly:
///
/// ```
/// /                  attributes: format = "snn-toolkit-checkpoint", format_version = 1
/// /parameters/<name> one dataset per trainable tensor (dotted module path, e.g. block1.conv.weight)
/// /buffers/<name>    running statistics and other buffers
/// /optimizer         attributes: type, step_count, learning_rate
/// /optimizer/<slot>/<name>  per-parameter state (momentum_buffer, exp_avg, …)
/// /metadata          attributes: the caller's strings (epoch, config name, …)
/// ```
/// Tensors are stored in their own precision, so a round trip is bit-exact. Loading checks every
/// name and shape before it changes anything: a mismatched model gets an error naming the tensor
/// and the model is left as it was.
public enum Checkpoint {
    /// The layout version written by this build; files with another version are rejected.
    public static let formatVersion = 1
    static let formatName = "snn-toolkit-checkpoint"

    /// Writes `model` (and `optimizer`, whose parameters must belong to `model`) to `url`,
    /// replacing any existing file.
    ///
    /// The file is written beside `url` and renamed over it only when complete, so a run that
    /// dies while saving still has its previous checkpoint.
    public static func save(
        _ model: any ParameterTree, optimizer: (any Optimizer)? = nil, metadata: [String: String] = [:], to url: URL
    ) throws(CheckpointError) {
        let partial = url.path + ".partial"
        do {
            // The file is closed (its handle released) before the rename.
            try checked {
                try write(
                    model, optimizer: optimizer, metadata: metadata,
                    to: HDF5File.create(at: URL(fileURLWithPath: partial)))
            }
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        guard rename(partial, url.path) == 0 else {
            throw CheckpointError("cannot move the new checkpoint \(partial) to \(url.path) (errno \(errno))")
        }
    }

    /// Runs `body`, turning the HDF5 module's errors (which name the file and path) into ours.
    private static func checked<T>(_ body: () throws -> T) throws(CheckpointError) -> T {
        do {
            return try body()
        } catch let error as CheckpointError {
            throw error
        } catch let error as HDF5Error where error.kind == .notHDF5 {
            throw CheckpointError("\(error.file) is missing or is not an HDF5 file")
        } catch {
            throw CheckpointError("\(error)")
        }
    }

    private static func write(
        _ model: any ParameterTree, optimizer: (any Optimizer)?, metadata: [String: String], to file: HDF5File
    ) throws {
        try file.setAttribute("format", formatName)
        try file.setAttribute("format_version", Int64(formatVersion))
        try file.createGroup("parameters")
        for (name, parameter) in model.namedParameters() {
            try write(parameter.value, to: "parameters/\(name)", in: file)
        }
        try file.createGroup("buffers")
        for (name, buffer) in model.namedBuffers() {
            try write(buffer.value, to: "buffers/\(name)", in: file)
        }
        try file.createGroup("metadata")
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            try file.setAttribute(key, value, on: "metadata")
        }
        guard let optimizer else { return }
        try file.createGroup("optimizer")
        try file.setAttribute("type", String(describing: type(of: optimizer)), on: "optimizer")
        try file.setAttribute("step_count", Int64(optimizer.state.stepCount), on: "optimizer")
        try file.setAttribute("learning_rate", optimizer.learningRate, on: "optimizer")
        let names = try parameterNames(of: optimizer, in: model)
        for slot in optimizer.state.slotNames {
            try file.createGroup("optimizer/\(slot)")
            for parameter in optimizer.parameters {
                guard let tensor = optimizer.state.tensor(slot, for: parameter) else { continue }
                try write(tensor, to: "optimizer/\(slot)/\(names[ObjectIdentifier(parameter)]!)", in: file)
            }
        }
    }

    /// Writes `tensor` as a dataset of its own dtype and shape (rank 0 as a scalar dataspace).
    private static func write(_ tensor: Tensor, to path: String, in file: HDF5File) throws {
        switch tensor.dtype {
        case .float32: try file.write(tensor.scalars(as: Float.self), shape: tensor.shape, to: path)
        case .float64: try file.write(tensor.scalars(as: Double.self), shape: tensor.shape, to: path)
        }
    }

    /// Reads dataset `path` as a tensor of `dtype` (HDF5 converts the stored type if it differs).
    private static func read(_ path: String, dtype: DType, from file: HDF5File) throws -> Tensor {
        let shape = try file.shape(of: path)
        return switch dtype {
        case .float32: Tensor(shape: shape, values: try file.read(path, as: Float.self).map(Double.init), dtype: dtype)
        case .float64: Tensor(shape: shape, values: try file.read(path, as: Double.self), dtype: dtype)
        }
    }

    /// Restores `model` (and `optimizer`) from `url`; returns the stored metadata.
    ///
    /// The checkpoint must hold exactly the model's tensors with the model's shapes; values are
    /// read in the model's dtype.
    @discardableResult
    public static func load(
        into model: any ParameterTree, optimizer: (any Optimizer)? = nil, from url: URL
    ) throws(CheckpointError) -> [String: String] {
        try checked { try load(into: model, optimizer: optimizer, from: HDF5File.open(url)) }
    }

    private static func load(
        into model: any ParameterTree, optimizer: (any Optimizer)?, from file: HDF5File
    ) throws -> [String: String] {
        let url = file.url
        let format = try? file.stringAttribute("format")
        guard format == formatName else {
            throw CheckpointError(
                "\(url.path) is not a checkpoint of this toolkit (its format attribute is \(format.map { "'\($0)'" } ?? "missing"))"
            )
        }
        let version = Int(try file.attribute("format_version", as: Int64.self))
        guard version == formatVersion else {
            throw CheckpointError(
                "\(url.path) has checkpoint format version \(version); this build reads version \(formatVersion)")
        }
        // Read everything first, so a mismatch leaves the model and optimizer untouched.
        var updates = try readGroup("parameters", of: model.namedParameters(), from: file)
        updates += try readGroup("buffers", of: model.namedBuffers(), from: file)
        var metadata: [String: String] = [:]
        for key in try file.attributeNames(on: "metadata") {
            metadata[key] = try file.stringAttribute(key, on: "metadata")
        }
        var optimizerState: (stepCount: Int, learningRate: Double, tensors: [(String, Parameter, Tensor)])?
        if let optimizer {
            let tensors = try readOptimizer(optimizer, model: model, from: file)
            optimizerState = (
                Int(try file.attribute("step_count", on: "optimizer", as: Int64.self)),
                try file.attribute("learning_rate", on: "optimizer", as: Double.self), tensors
            )
        }
        for (parameter, tensor) in updates { parameter.value.assign(tensor) }
        if let optimizer, let optimizerState {
            optimizer.state.reset(stepCount: optimizerState.stepCount)
            optimizer.learningRate = optimizerState.learningRate
            for (slot, parameter, tensor) in optimizerState.tensors {
                optimizer.state.setTensor(tensor, slot, for: parameter)
            }
        }
        return metadata
    }

    /// The tensors of `group` for `expected`, checked name by name and shape by shape.
    private static func readGroup(
        _ group: String, of expected: [(name: String, parameter: Parameter)], from file: HDF5File
    ) throws -> [(Parameter, Tensor)] {
        let stored = Set(file.contains(group) ? try file.children(of: group) : [])
        var result: [(Parameter, Tensor)] = []
        for (name, parameter) in expected {
            let path = "\(group)/\(name)"
            guard stored.contains(name) else {
                throw CheckpointError(
                    "\(file.url.path): the model's tensor '\(path)' \(parameter.shape) is missing from the checkpoint")
            }
            let shape = try file.shape(of: path)
            guard shape == parameter.shape else {
                throw CheckpointError(
                    "\(file.url.path): tensor '\(path)' has shape \(shape) in the checkpoint, the model expects \(parameter.shape)"
                )
            }
            result.append((parameter, try read(path, dtype: parameter.dtype, from: file)))
        }
        if let extra = stored.subtracting(expected.map(\.name)).sorted().first {
            throw CheckpointError("\(file.url.path): tensor '\(group)/\(extra)' has no counterpart in the model")
        }
        return result
    }

    private static func readOptimizer(
        _ optimizer: any Optimizer, model: any ParameterTree, from file: HDF5File
    ) throws -> [(String, Parameter, Tensor)] {
        guard file.contains("optimizer") else {
            throw CheckpointError("\(file.url.path) holds no optimizer state")
        }
        let storedType = try file.stringAttribute("type", on: "optimizer")
        let ownType = String(describing: type(of: optimizer))
        guard storedType == ownType else {
            throw CheckpointError("\(file.url.path) holds \(storedType) state, not \(ownType) state")
        }
        let names = try parameterNames(of: optimizer, in: model)
        var result: [(String, Parameter, Tensor)] = []
        for slot in optimizer.state.slotNames {
            let stored = Set(file.contains("optimizer/\(slot)") ? try file.children(of: "optimizer/\(slot)") : [])
            let known = Set(names.values)
            if let extra = stored.subtracting(known).sorted().first {
                throw CheckpointError(
                    "\(file.url.path): optimizer state 'optimizer/\(slot)/\(extra)' has no counterpart in the optimizer"
                )
            }
            for parameter in optimizer.parameters {
                let name = names[ObjectIdentifier(parameter)]!
                guard stored.contains(name) else { continue }
                let path = "optimizer/\(slot)/\(name)"
                let shape = try file.shape(of: path)
                guard shape == parameter.shape else {
                    throw CheckpointError(
                        "\(file.url.path): optimizer state '\(path)' has shape \(shape), the parameter has \(parameter.shape)"
                    )
                }
                result.append((slot, parameter, try read(path, dtype: parameter.dtype, from: file)))
            }
        }
        return result
    }

    /// The model's name for each of the optimizer's parameters.
    private static func parameterNames(
        of optimizer: any Optimizer, in model: any ParameterTree
    ) throws(CheckpointError) -> [ObjectIdentifier: String] {
        var byIdentity: [ObjectIdentifier: String] = [:]
        for (name, parameter) in model.namedParameters() { byIdentity[ObjectIdentifier(parameter)] = name }
        for parameter in optimizer.parameters where byIdentity[ObjectIdentifier(parameter)] == nil {
            throw CheckpointError("the optimizer holds a \(parameter.shape) parameter that is not in the model")
        }
        return byIdentity
    }
}
