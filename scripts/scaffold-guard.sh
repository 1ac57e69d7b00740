# Sourced by scripts/check-new-neuron.sh and scripts/bench-scaffold.sh, which scaffold probe
# plugins in place into the working tree: refuses to run over a probe left behind or over
# uncommitted changes to the files the scaffolding edits, and restores the tree exactly on exit,
# also on failure or interrupt. The sourcing script sets `created` (the files the probes create)
# and `edited` (the files the scaffolding edits) first.
for file in "${created[@]}"; do
    if [ -e "$file" ]; then
        echo "error: $file exists; remove the scaffold probe (left by an interrupted check?) first" >&2
        exit 1
    fi
done
if [ -n "$(git status --porcelain -- "${edited[@]}")" ]; then
    echo "error: uncommitted changes in ${edited[*]}; commit or stash them, the check restores these files" >&2
    exit 1
fi
testDirectoryExisted=$([ -d Tests/NeuronsTests/Plugins ] && echo yes || echo no)
backup=$(mktemp -d "${TMPDIR:-/tmp}/snn-scaffold.XXXXXX")
cp -p "${edited[@]}" "$backup/"
restore() {
    rm -f "${created[@]}"
    [ "$testDirectoryExisted" = yes ] || rmdir Tests/NeuronsTests/Plugins 2>/dev/null || true
    for file in "${edited[@]}"; do cp -p "$backup/$(basename "$file")" "$file"; done
    rm -rf "$backup"
}
trap restore EXIT
trap 'exit 130' INT TERM
