// swift-tools-version: 6.1
//
// One package, many targets. The real target graph (an arrow means "depends on"; products by
// their executable names). Registry, HDF5 and Plot stay off the numeric spine, so the tensor,
// neuron and simulator tests build without GRDB, libhdf5 or Cairo.
//
//   snn-shd ───► SHDExperiment ────────────┐  (also Landscapes, EventSim)
//   snn-dqif ─┬► ClassificationExperiment ─┤  (CIFAR, CIFAR10-DVS and SST-2 of papers 2 and 3)
//   snn-cf ───┘                            │
//   snn ───────────────────────────────────┤  (also NIR, HDF5, Checkpoint, SHDExperiment)
//                                          ├─► ExperimentKit ─► NN, Checkpoint, Registry, ArgumentParser
//                                          ├─► Reporting ─► Registry
//                                          ├─► Neurons ─► NN, EventSim, CKernels
//                                          ├─► Datasets ─► HDF5, TensorRuntime, Crypto
//                                          └─► Plot ─► CCairo, CPNG
//   snn-bench ─► ClassificationExperiment, Neurons, EventSim, NN, TensorRuntime, CBLAS
//
//   NIR ─► Neurons, NN, HDF5               Checkpoint ─► NN, HDF5
//   NN ─► TensorRuntime                    EventSim ─► TensorRuntime, CKernels; Landscapes ─► TensorRuntime
//   HDF5 ─► CHDF5 (one lock for libhdf5)   Registry ─► CLibPQ, GRDB, Crypto (storage only)
//   TensorRuntime ─► CBLAS, CMalloc, CKernels, RealModule (swift-numerics)
//   C: CKernels is built here; CBLAS, CMalloc, CHDF5, CLibPQ, CPNG, CCairo are Debian packages.
//
// Tests: `<Target>Tests` per library, sharing the helpers of TestSupport (XCTest + TensorRuntime
// only); RegistryTestWorker is the process the registry's multi-process tests spawn.
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
            dependencies: ["TensorRuntime"],
            path: "Modules/NN"),
        .target(
            name: "HDF5",
            dependencies: ["CHDF5"],
            path: "Modules/HDF5"),
        .target(
            name: "Checkpoint",
            dependencies: ["NN", "HDF5", "TensorRuntime"],
            path: "Modules/Checkpoint"),
        .target(
            name: "NIR",
            dependencies: ["HDF5", "TensorRuntime", "NN", "Neurons"],
            path: "Modules/NIR"),
        .target(
            name: "Neurons",
            dependencies: ["TensorRuntime", "NN", "CKernels", "EventSim"],
            path: "Modules/Neurons"),
        .target(
            name: "EventSim",
            dependencies: ["TensorRuntime", "CKernels"],
            path: "Modules/EventSim"),
        .target(
            name: "Datasets",
            dependencies: ["HDF5", "TensorRuntime", .product(name: "Crypto", package: "swift-crypto")],
            path: "Modules/Datasets"),
        .target(
            name: "Registry",
            dependencies: [
                "CLibPQ", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Modules/Registry"),
        .target(
            name: "Reporting",
            dependencies: ["Registry"],
            path: "Modules/Reporting"),
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
                "TensorRuntime", "NN", "Checkpoint", "Registry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Modules/ExperimentKit"),

        // MARK: Experiments (one library with the paper's protocol, one thin command each)
        .target(
            name: "SHDExperiment",
            dependencies: [
                "ExperimentKit", "EventSim", "Neurons", "Datasets", "Registry", "Reporting", "Plot", "Landscapes",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/SHD/Kit"),
        .executableTarget(
            name: "SHDCommand",
            dependencies: ["SHDExperiment"],
            path: "Experiments/SHD/Command"),
        .target(
            name: "ClassificationExperiment",
            dependencies: [
                "ExperimentKit", "TensorRuntime", "NN", "Neurons", "Datasets", "Registry", "Reporting", "Plot",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Experiments/Classification/Kit"),
        .executableTarget(
            name: "DQIFCommand",
            dependencies: ["ClassificationExperiment"],
            path: "Experiments/Classification/DQIF"),
        .executableTarget(
            name: "CircFireCommand",
            dependencies: ["ClassificationExperiment"],
            path: "Experiments/Classification/CircFire"),

        // MARK: Executables
        .executableTarget(
            name: "SNNCLI",
            dependencies: [
                "Datasets", "Registry", "Reporting", "ExperimentKit", "Neurons", "Plot", "NIR", "HDF5", "Checkpoint",
                "SHDExperiment",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/snn"),
        .executableTarget(
            name: "SNNBench",
            dependencies: [
                "CBLAS", "TensorRuntime", "NN", "Neurons", "EventSim", "ClassificationExperiment",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/SNNBench"),

        // MARK: Tests
        .executableTarget(
            name: "RegistryTestWorker",
            dependencies: ["Registry"],
            path: "Tests/RegistryWorker"),
        .target(
            name: "RegistryFixtures",
            dependencies: ["Registry"],
            path: "Tests/RegistryFixtures"),
        .target(
            name: "TestSupport",
            dependencies: ["TensorRuntime"],
            path: "Tests/TestSupport"),
        .testTarget(
            name: "TensorRuntimeTests",
            dependencies: ["TensorRuntime", "TestSupport", "CKernels", "CMalloc"],
            path: "Tests/TensorRuntimeTests"),
        .testTarget(
            name: "NNTests",
            dependencies: ["NN", "Checkpoint", "TestSupport"],
            path: "Tests/NNTests"),
        .testTarget(
            name: "HDF5Tests",
            dependencies: ["HDF5", "Checkpoint", "NN", "TensorRuntime", "TestSupport"],
            path: "Tests/HDF5Tests"),
        .testTarget(
            name: "NIRTests",
            dependencies: ["NIR", "HDF5", "NN", "Neurons", "TensorRuntime", "TestSupport"],
            path: "Tests/NIRTests"),
        .testTarget(
            name: "NeuronsTests",
            dependencies: ["Neurons", "CKernels", "TestSupport"],
            path: "Tests/NeuronsTests"),
        .testTarget(
            name: "EventSimTests",
            dependencies: ["EventSim"],
            path: "Tests/EventSimTests"),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["Datasets", "HDF5", "TestSupport"],
            path: "Tests/DatasetsTests"),
        .testTarget(
            name: "RegistryTests",
            dependencies: ["Registry", "RegistryFixtures", "RegistryTestWorker", "TestSupport"],
            path: "Tests/RegistryTests"),
        .testTarget(
            name: "ReportingTests",
            dependencies: ["Reporting", "Registry", "RegistryFixtures", "TestSupport"],
            path: "Tests/ReportingTests",
            exclude: ["Fixtures"]),
        .testTarget(
            name: "PlotTests",
            dependencies: ["Plot"],
            path: "Tests/PlotTests"),
        .testTarget(
            name: "LandscapesTests",
            dependencies: ["Landscapes", "TestSupport"],
            path: "Tests/LandscapesTests"),
        .testTarget(
            name: "SHDExperimentTests",
            dependencies: ["SHDExperiment", "TestSupport"],
            path: "Tests/SHDExperimentTests"),
        .testTarget(
            name: "ClassificationExperimentTests",
            dependencies: [
                "ClassificationExperiment", "ExperimentKit", "Datasets", "Registry", "NN", "Neurons", "TensorRuntime",
                "RegistryFixtures", "TestSupport",
            ],
            path: "Tests/ClassificationExperimentTests"),
        .testTarget(
            name: "ExperimentKitTests",
            dependencies: ["ExperimentKit", "RegistryFixtures", "TestSupport"],
            path: "Tests/ExperimentKitTests",
            exclude: ["Fixtures"]),
    ]
)

// Swift code is compiled for the CPU of the machine that builds it (`-target-cpu native`, as C's
// `-march=native`): the engine's and the runtime's loops are vectorised by the compiler, and for
// the baseline x86-64 target that means 4-wide SSE, where AVX2 or AVX-512 run them about twice as
// fast (shd-step 35 → 20 ms). The C kernels choose their instruction set at run time instead. For
// binaries meant to run on other machines, build with SNN_PORTABLE_BUILD=1.
if Context.environment["SNN_PORTABLE_BUILD"] == nil {
    for target in package.targets where target.type != .system {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-target-cpu", "native"])]
    }
}
