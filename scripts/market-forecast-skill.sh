#!/usr/bin/env bash
# Forecaster skill on the market world (issue 18's third figure): per scenario, the forecaster
# trained on all features and the same trained on the shard's own load history only
# (`train --features load-history`), scored on held-out seeds against persistence and the other
# baselines. Usage: scripts/market-forecast-skill.sh [OUT] [DURATION] [TRAIN_SEEDS] [TEST_SEEDS] [SCENARIO…]
# Defaults: results/market-skill, 12h, 31..32, 1..2, macro_day market_volatility memoryless_shocks.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/market-skill}
duration=${2:-12h}
train_seeds=${3:-31..32}
test_seeds=${4:-1..2}
shift $(( $# < 4 ? $# : 4 ))
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(macro_day market_volatility memoryless_shocks)
cargo build --release --locked --quiet
bin=target/release/shardsim
mkdir -p "$out"
for s in "${scenarios[@]}"; do
    "$bin" dataset "$s" --seeds "$train_seeds" --duration "$duration" --out "$out/$s.rows.csv"
    "$bin" train --data "$out/$s.rows.csv" --out "$out/$s.all.model"
    "$bin" train --data "$out/$s.rows.csv" --features load-history --out "$out/$s.load.model"
    for m in all load; do
        "$bin" evaluate --model "$out/$s.$m.model" "$s" --seeds "$test_seeds" --duration "$duration" \
            --json "$out/$s.$m.json" --out "$out/$s.$m" --no-plots | tee "$out/$s.$m.txt"
    done
done
