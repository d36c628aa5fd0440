#!/usr/bin/env bash
# The one test command (see README): formatting, lints, every test, benches in test mode, and the
# notebooks (in a virtual environment it creates with pinned packages). Runs from any directory.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "criterion benches in test mode (each benchmark runs once)"
cargo bench --workspace --locked -- --test

step "unit, integration and doc tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"

step "notebooks (pytest --nbmake, pinned packages in target/notebook-venv)"
venv=target/notebook-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r notebooks/requirements.txt
cargo build --release --locked --quiet
rm -rf target/notebook-results
SHARDSIM_RESULTS="$PWD/target/notebook-results" \
    "$venv/bin/python" -m pytest --nbmake -q notebooks/ 2>&1 | tee -a "$log"

# One closing line for whoever reads the end of this output: totals over every test binary and
# the notebooks.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^[0-9]+ passed/ && !/^test result/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\ntests: %d passed, %d failed\n", p, f; if (p == 0) exit 1 }' "$log"
