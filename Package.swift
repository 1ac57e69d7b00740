// swift-tools-version: 6.1
//
// One package, many targets. Dependency arrows point one way:
//   C libraries → TensorRuntime → NN → Neurons → (EventSim) → Experiment kit → Experiments
//   Datasets, Registry and Plot sit beside them and depend only on what they need, so the tensor
//   and neuron tests build without GRDB.
import PackageDescription

let package = Package(
    name: "SpikingToolkit",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "snn", targets: ["SNNCLI"]),
        .executable(name: "snn-bench", targets: ["SNNBench"]),
        .executable(name: "snn-shd", targets: ["SHDCommand"]),
        .executable(name: "snn-dqif", targets: ["DQIFCommand"]),
        .executable(name: "snn-cf", targets: ["CircFireCommand"]),
        .library(name: "TensorRuntime", targets: ["TensorRuntime"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Neurons", targets: ["Neurons"]),
        .library(name: "EventSim", targets: ["EventSim"]),
        .library(name: "ExperimentKit", targets: ["ExperimentKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // MARK: C libraries (Debian packages, found through pkg-config)
        .systemLibrary(
            name: "CBLAS", path: "Modules/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CHDF5", path: "Modules/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Modules/CMalloc"),
        .systemLibrary(
            name: "CLibPQ", path: "Modules/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Modules/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CCairo", path: "Modules/CCairo", pkgConfig: "cairo",
            providers: [.apt(["libcairo2-dev"])]),

        // MARK: C kernels (built here for several instruction sets, one chosen per CPU at run time)
        .target(name: "CKernels", path: "Modules/CKernels"),

        // MARK: Libraries
        .target(
            name: "TensorRuntime",
            dependencies: ["CBLAS", "CMalloc", "CKernels", .product(name: "RealModule", package: "swift-numerics")],
            path: "Modules/TensorRuntime"),
        .target(
            name: "NN",
            dependencies: ["TensorRuntime", "CHDF5"],
            path: "Modules/NN"),
        .target(
            name: "Neurons",
            dependencies: ["TensorRuntime", "NN", "CKernels", "EventSim"],
            path: "Modules/Neurons"),
        .target(
            name: "EventSim",
            dependencies: ["TensorRuntime"],
            path: "Modules/EventSim"),
        .target(
            name: "Datasets",
            dependencies: ["CHDF5", "TensorRuntime", .product(name: "Crypto", package: "swift-crypto")],
            path: "Modules/Datasets"),
        .target(
            name: "Registry",
            dependencies: [
                "CLibPQ", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Modules/Registry"),
        .target(
            name: "Plot",
            dependencies: ["CCairo", "CPNG"],
            path: "Modules/Plot"),
        .target(
            name: "Landscapes",
            dependencies: ["TensorRuntime"],
            path: "Modules/Landscapes"),
        .target(
            name: "ExperimentKit",
            dependencies: [
                "NN", "Registry", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Modules/ExperimentKit"),

        // MARK: Experiments (one library with the paper's protocol, one thin command each)
        .target(
            name: "SHDExperiment",
            dependencies: [
                "ExperimentKit", "EventSim", "Neurons", "Datasets", "Registry", "Plot", "Landscapes",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/SHD/Kit"),
        .executableTarget(
            name: "SHDCommand",
            dependencies: ["SHDExperiment"],
            path: "Experiments/SHD/Command"),
        .target(
            name: "ImageExperiment",
            dependencies: [
                "ExperimentKit", "TensorRuntime", "NN", "Neurons", "Datasets", "Registry", "Plot",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/CIFAR/Kit"),
        .executableTarget(
            name: "DQIFCommand",
            dependencies: ["ImageExperiment"],
            path: "Experiments/CIFAR/DQIF"),
        .executableTarget(
            name: "CircFireCommand",
            dependencies: ["ImageExperiment"],
            path: "Experiments/CIFAR/CircFire"),

        // MARK: Executables
        .executableTarget(
            name: "SNNCLI",
            dependencies: [
                "Datasets", "Registry", "Plot", "ExperimentKit", "Neurons",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/snn"),
        .executableTarget(
            name: "SNNBench",
            dependencies: [
                "CBLAS", "TensorRuntime", "NN", "Neurons", "EventSim", "ImageExperiment",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/SNNBench"),

        // MARK: Tests
        .executableTarget(
            name: "RegistryTestWorker",
            dependencies: ["Registry"],
            path: "Tests/RegistryWorker"),
        .target(
            name: "TestSupport",
            dependencies: ["TensorRuntime"],
            path: "Tests/TestSupport"),
        .testTarget(
            name: "TensorRuntimeTests",
            dependencies: ["TensorRuntime", "TestSupport", "CKernels"],
            path: "Tests/TensorRuntimeTests"),
        .testTarget(
            name: "NNTests",
            dependencies: ["NN", "TestSupport"],
            path: "Tests/NNTests"),
        .testTarget(
            name: "NeuronsTests",
            dependencies: ["Neurons", "CKernels"],
            path: "Tests/NeuronsTests"),
        .testTarget(
            name: "EventSimTests",
            dependencies: ["EventSim"],
            path: "Tests/EventSimTests"),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["Datasets"],
            path: "Tests/DatasetsTests"),
        .testTarget(
            name: "RegistryTests",
            dependencies: ["Registry", "RegistryTestWorker"],
            path: "Tests/RegistryTests",
            exclude: ["Fixtures"]),
        .testTarget(
            name: "PlotTests",
            dependencies: ["Plot", "CPNG"],
            path: "Tests/PlotTests"),
        .testTarget(
            name: "LandscapesTests",
            dependencies: ["Landscapes", "TestSupport"],
            path: "Tests/LandscapesTests"),
        .testTarget(
            name: "SHDExperimentTests",
            dependencies: ["SHDExperiment"],
            path: "Tests/SHDExperimentTests"),
        .testTarget(
            name: "ImageExperimentTests",
            dependencies: ["ImageExperiment", "ExperimentKit", "Datasets", "Registry", "NN", "Neurons", "TensorRuntime", "TestSupport"],
            path: "Tests/ImageExperimentTests"),
        .testTarget(
            name: "ExperimentKitTests",
            dependencies: ["ExperimentKit"],
            path: "Tests/ExperimentKitTests",
            exclude: ["Fixtures"]),
    ]
)
