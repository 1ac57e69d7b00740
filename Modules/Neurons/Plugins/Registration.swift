/// The plugins that ship with the toolkit, one line each. `make new-neuron NAME=…` appends here.
func registerBuiltInNeurons(_ table: inout FactoryTable) {
    table.add(LIF.self)
    table.add(DQIF.self)
    table.add(CirculateFiring.self)
    table.add(AdaptiveLIF.self)
    table.add(CurrentBasedLIF.self)
    table.add(ResonateAndFire.self)
}
