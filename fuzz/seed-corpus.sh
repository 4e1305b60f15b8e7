#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the shipped policies and samples and
# ../shared/examples (read in place at seeding time, never committed).
set -euo pipefail
cd "$(dirname "$0")"
shared=../../shared/examples
mkdir -p corpus/load corpus/records corpus/sla corpus/clawback
for f in ../policies/*/*.baton "$shared"/*/policy.baton "$shared"/*/policy/*.baton; do
  [ -f "$f" ] && cp "$f" "corpus/load/$(echo "$f" | tr '/.' '__')"
done
for f in "$shared"/*/*.jsonl "$shared"/*/*.json "$shared"/*/*.csv; do
  [ -f "$f" ] || continue
  name=$(echo "$f" | tr '/.' '__')
  # The first byte picks the policy the records target evaluates with.
  { printf '\x00'; cat "$f"; } > "corpus/records/$name"
  cp "$f" "corpus/sla/$name"
done
for d in clawback_posted_rerun clawback_plan_versions; do
  { cat "$shared/$d/deals.csv"; printf '\xff'; cat "$shared/$d/events.csv"; } > "corpus/clawback/$d"
done
echo "seeded: $(ls corpus/* | wc -l) files"
