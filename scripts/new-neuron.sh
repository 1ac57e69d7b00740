#!/usr/bin/env bash
# Scaffolds a neuron plugin: its file, its registration and its test.
# Usage: [KIND=discrete|event] [STATES=2] scripts/new-neuron.sh TypeName [registry-key]
# KIND=discrete (default): a discrete-time plugin run by the fused engine; STATES=2 starts from a
# neuron with two state variables (membrane and a trace) instead of one.
# KIND=event: an event-driven plugin (closed-form flow, spike time and their derivatives) for the
# exact simulator, checked by EventNeuronConformanceTests.
set -euo pipefail
cd "$(dirname "$0")/.."

name=${1:-}
if [[ ! "$name" =~ ^[A-Z][A-Za-z0-9]*$ ]]; then
    echo "error: NAME must be an UpperCamelCase Swift type name (e.g. NAME=AdaptiveLIF), got '${name}'" >&2
    exit 2
fi
# Registry key: the type name in kebab case unless given (AdaptiveLIF -> adaptive-lif).
key=${2:-$(echo "$name" | sed -E 's/([a-z0-9])([A-Z])/\1-\2/g; s/([A-Z]+)([A-Z][a-z])/\1-\2/g' | tr '[:upper:]' '[:lower:]')}
if [[ ! "$key" =~ ^[a-z][a-z0-9-]*$ ]]; then
    echo "error: KEY must be lower-case letters, digits and dashes, got '${key}'" >&2
    exit 2
fi

kind=${KIND:-discrete}
case "$kind" in
    discrete)
        case "${STATES:-1}" in
            1) template=scripts/templates/NeuronPlugin.swift.template ;;
            2) template=scripts/templates/NeuronPlugin2.swift.template ;;
            *) echo "error: STATES must be 1 or 2 (the template's number of state variables), got '${STATES}'" >&2; exit 2 ;;
        esac
        tests=scripts/templates/NeuronPluginTests.swift.template
        plugin=Modules/Neurons/Plugins/$name.swift
        test=Tests/NeuronsTests/Plugins/${name}Tests.swift
        registration=Modules/Neurons/Plugins/Registration.swift
        # One line before the closing brace of registerBuiltInNeurons.
        register="/^func registerBuiltInNeurons/,/^}/ s/^}/    table.add($name.self)\n}/"
        ;;
    event)
        if [ -n "${STATES:-}" ] && [ "${STATES}" != 2 ]; then
            echo "error: event-driven neurons have two state variables (V, I); STATES=${STATES} does not apply" >&2; exit 2
        fi
        template=scripts/templates/EventNeuron.swift.template
        tests=scripts/templates/EventNeuronTests.swift.template
        plugin=Modules/EventSim/$name.swift
        test=Tests/EventSimTests/${name}Tests.swift
        registration=Modules/EventSim/EventDrivenNeuron.swift
        # One line before the closing bracket of EventNeuronRegistry.plugins.
        register="/static let plugins: \[any EventDrivenNeuron.Type\] = \[/,/^    \]/ s/^    \]/        $name.self,\n    ]/"
        ;;
    *) echo "error: KIND must be discrete or event, got '${kind}'" >&2; exit 2 ;;
esac

for file in "$plugin" "$test"; do
    if [ -e "$file" ]; then echo "error: $file already exists" >&2; exit 1; fi
done
if grep -q "static let name = \"$key\"" Modules/Neurons/Plugins/*.swift Modules/EventSim/*.swift; then
    echo "error: a neuron named '$key' already exists" >&2
    exit 1
fi

mkdir -p "$(dirname "$test")"
sed "s/__NAME__/$name/g; s/__KEY__/$key/g" "$template" > "$plugin"
sed "s/__NAME__/$name/g; s/__KEY__/$key/g" "$tests" > "$test"
sed -i "$register" "$registration"
grep -q "$name.self" "$registration" || { echo "error: could not register $name in $registration" >&2; exit 1; }

echo "Created $plugin (registered as '$key' in $registration) and $test."
if [ "$kind" = event ]; then
    echo "Edit the model in $plugin, then run 'make test': EventNeuronConformanceTests checks it."
else
    echo "Edit the three maps in $plugin, then run 'make test': the conformance suite checks it."
fi
