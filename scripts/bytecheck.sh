#!/usr/bin/env bash
# Byte check for changes that must not change behaviour (restructuring, renames, speed-ups).
#
#   scripts/bytecheck.sh OUT_FILE
#
# Builds the release binary, then writes to OUT_FILE one line per output of:
#   * the default run (`shardsim` with no arguments, in an empty directory): sha256 of every
#     file it writes under results/, and of its standard output with the wall-clock figures
#     (the only lines that may differ between identical runs) masked;
#   * the PHOLD checksum (`bench phold`, fixed settings);
#   * the golden hashes: the determinism and cluster test binaries are run, which assert them.
# Compare two OUT_FILEs with `diff`: no output means no byte changed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "$1")
root=$PWD
cargo build --release --locked --quiet
bin="$root/target/release/shardsim"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && "$bin" > stdout.txt 2>&1)
{
    (cd "$work" && find results -type f | LC_ALL=C sort | xargs sha256sum)
    sed -E -e 's/[0-9.]+ s wall/X s wall/' \
        -e 's/wall time +[0-9.]+ s \([0-9]+ invocations\/s\)/wall time X/' \
        -e "s/done in [0-9]+ s\./done in X s./" \
        -e 's/[0-9.]+ s \(wall\)/X s (wall)/' "$work/stdout.txt" | sha256sum | sed 's/-$/default-run stdout (wall times masked)/'
    "$bin" bench phold --lps 1000 --pop 10 --events 200000 --seed 1 --repeats 1 | grep '^checksum='
} > "$out"
cargo test --release --locked --quiet -p shardsim-sim --test determinism --test cluster > /dev/null
echo "golden tests: passed" >> "$out"
echo "wrote $out ($(wc -l < "$out") lines)"
