#!/usr/bin/env bash
# Which feature groups carry the forecaster's skill: trains on one dataset with every feature,
# with the shard's own load history only, and with all but each group in turn
# (`train --features without-GROUP`), scores each on the same held-out runs, and prints one
# table (skill over persistence overall and in bursts, and the change against all features).
# Usage: scripts/forecast-ablation.sh DATASET OUT SEEDS SCENARIO…
#   DATASET  rows from `shardsim dataset` (the training runs)
#   SEEDS    held-out seeds, e.g. 11..12 (the scenarios' own duration unless DURATION is set)
# SHARDSIM (default: a fresh release build) names the binary; DURATION, e.g. 24h, the runs'.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n 2,9p "$0"; exit 2; }
data=$1 out=$2 seeds=$3
shift 3
if [ -z "${SHARDSIM:-}" ]; then
    cargo build --release --locked --quiet
    SHARDSIM=target/release/shardsim
fi
duration=()
[ -z "${DURATION:-}" ] || duration=(--duration "$DURATION")
mkdir -p "$out"
sets=(all load-history)
for g in load shard clock cluster peers regions feed demand calendar; do sets+=("without-$g"); done
for set in "${sets[@]}"; do
    [ -f "$out/$set.model" ] || "$SHARDSIM" train --data "$data" --features "$set" --out "$out/$set.model" \
        | grep "^load at" | sed "s/^/$set: /" | tee -a "$out/kept.txt"
    "$SHARDSIM" evaluate --model "$out/$set.model" "$@" --seeds "$seeds" "${duration[@]}" \
        --json "$out/$set.json" --out "$out/evaluate" --no-plots > "$out/$set.txt"
done
python3 - "$out" "${sets[@]}" <<'PY'
import json, sys
out, sets = sys.argv[1], sys.argv[2:]
def model(s):
    scores = json.load(open(f"{out}/{s}.json"))["models"]
    return scores[0], {m["name"]: m for m in scores}
ref, named = model("all")
rows = [("set", "MAE", "skill", "in bursts", "Δ skill", "Δ in bursts")]
for s in sets:
    m, _ = model(s)
    rows.append((s, f"{m['mae']:.4f}", f"{100*m['skill_overall']:.1f}%", f"{100*m['skill_burst']:.1f}%",
                 f"{100*(m['skill_overall']-ref['skill_overall']):+.1f}", f"{100*(m['skill_burst']-ref['skill_burst']):+.1f}"))
for b in ("moving_average", "ewma", "latent_oracle"):
    if b in named:
        m = named[b]
        rows.append((b, f"{m['mae']:.4f}", f"{100*m['skill_overall']:.1f}%", f"{100*m['skill_burst']:.1f}%", "", ""))
widths = [max(len(r[i]) for r in rows) for i in range(6)]
text = "\n".join("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows[:1])
text += "\n|" + "|".join("-" * (w + 2) for w in widths) + "|\n"
text += "\n".join("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows[1:])
open(f"{out}/ablation.md", "w").write(text + "\n")
print(text)
PY
