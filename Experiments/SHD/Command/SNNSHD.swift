import SHDExperiment

/// `snn-shd`: the commands live in SHDExperiment, where tests can parse them.
@main
enum SNNSHD {
    static func main() { SHDCommand.main() }
}
