import Neurons
import XCTest

/// One catalogue for discrete-time and event-driven neurons: lookups, errors that list what the
/// asking command can use, and the descriptions `snn neurons` prints.
final class NeuronCatalogueTests: XCTestCase {
    func testLookupKnowsBothKindsAndListsTheValidNames() throws {
        XCTAssertEqual(try NeuronCatalogue.lookup("lif"), .discrete)
        XCTAssertEqual(try NeuronCatalogue.lookup("qif-exact"), .eventDriven)
        XCTAssertThrowsError(try NeuronCatalogue.lookup("qif-exakt")) { error in
            for name in ["qif-exact", "lif-exact", "lif", "alif", "cuba-lif"] {
                XCTAssertTrue("\(error)".contains(name), "\(error) should list \(name)")
            }
        }
        XCTAssertThrowsError(try NeuronCatalogue.lookup("lif", kinds: [.eventDriven])) { error in
            XCTAssertTrue(
                "\(error)".contains("unknown event-driven neuron 'lif'; known: lif-exact, qif-exact"), "\(error)")
        }
        XCTAssertThrowsError(try NeuronCatalogue.lookup("qif-exact", kinds: [.discrete])) { error in
            XCTAssertFalse("\(error)".contains("lif-exact"), "\(error) lists a neuron the command cannot use")
        }
    }

    func testEntriesDescribeParametersStateAndFields() throws {
        let entries = Dictionary(uniqueKeysWithValues: NeuronCatalogue.entries.map { ($0.name, $0) })
        XCTAssertEqual(Set(entries.keys), Set(NeuronRegistry.names + ["lif-exact", "qif-exact"]))
        let alif = try XCTUnwrap(entries["alif"])
        XCTAssertEqual(alif.kind, .discrete)
        XCTAssertEqual(alif.state, ["membrane", "adaptation"])
        XCTAssertEqual(alif.parameters.map(\.name), ["decay", "threshold", "adaptationDecay", "adaptation"])
        XCTAssertEqual(alif.parameters.map(\.domain), [.unitInterval, .positive, .unitInterval, .positive])
        let lif = try XCTUnwrap(entries["lif"])
        XCTAssertEqual(lif.conventions, ["norse", "snntorch", "spikingjelly"])
        XCTAssertTrue(lif.fields.contains { $0.name == "reset" && $0.value == "\"hard\"" }, "\(lif.fields)")
        XCTAssertEqual(lif.parameters.map(\.learns), [false, false])
        let qif = try XCTUnwrap(entries["qif-exact"])
        XCTAssertEqual(qif.kind, .eventDriven)
        XCTAssertEqual(qif.parameters.map(\.name), ["tau"])
        XCTAssertEqual(qif.parameters.map(\.domain), [.positive])
        XCTAssertEqual(qif.fields.map(\.name), ["tau", "reset", "threshold", "resetPotential"])
        XCTAssertTrue(
            qif.fields.contains { $0.name == "reset" && $0.value.contains("epsilon | infinity") }, "\(qif.fields)")
        XCTAssertEqual(entries["lif-exact"]?.fields.first { $0.name == "threshold" }?.value, "1.0 (fixed)")
    }
}
