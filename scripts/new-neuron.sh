#!/usr/bin/env bash
# Scaffolds a discrete-time neuron plugin: its file, its registration and its test.
# Usage: [STATES=2] scripts/new-neuron.sh TypeName [registry-key]
# STATES=2 starts from a neuron with two state variables (membrane and a trace) instead of one.
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

case "${STATES:-1}" in
    1) template=scripts/templates/NeuronPlugin.swift.template ;;
    2) template=scripts/templates/NeuronPlugin2.swift.template ;;
    *) echo "error: STATES must be 1 or 2 (the template's number of state variables), got '${STATES}'" >&2; exit 2 ;;
esac

plugin=Modules/Neurons/Plugins/$name.swift
test=Tests/NeuronsTests/Plugins/${name}Tests.swift
registration=Modules/Neurons/Plugins/Registration.swift
for file in "$plugin" "$test"; do
    if [ -e "$file" ]; then echo "error: $file already exists" >&2; exit 1; fi
done
if grep -q "\"$key\"" Modules/Neurons/Plugins/*.swift; then
    echo "error: a plugin named '$key' already exists" >&2
    exit 1
fi

mkdir -p "$(dirname "$test")"
sed "s/__NAME__/$name/g; s/__KEY__/$key/g" "$template" > "$plugin"
sed "s/__NAME__/$name/g; s/__KEY__/$key/g" scripts/templates/NeuronPluginTests.swift.template > "$test"
# Register: one line before the closing brace of registerBuiltInNeurons.
sed -i "/^func registerBuiltInNeurons/,/^}/ s/^}/    table.add($name.self)\n}/" "$registration"

echo "Created $plugin (registered as '$key') and $test."
echo "Edit the three maps in $plugin, then run 'make test': the conformance suite checks it."
