#!/usr/bin/env bash
# Re-measure every figure of benchmarks/RESULTS.md on the checked-out code, most important first.
# Usage: benchmarks/remeasure.sh [names…]     e.g. benchmarks/remeasure.sh mask read
# Each benchmark's output goes to benchmarks/.work/remeasure/<name>.log with the commit and the load
# average before and after; the figures are copied into RESULTS.md by hand, with that load average.
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
out=benchmarks/.work/remeasure
mkdir -p "$out"
declare -A commands=(
  [vs_pynonymizer]="$py benchmarks/bench_vs_pynonymizer.py --repeat 3"
  [10m]="$py benchmarks/bench_10m.py"
  [mask]="$py benchmarks/bench_mask.py --rows 1000000 --baseline-rows 5000"
  [read]="$py benchmarks/bench_read.py"
  [free_text]="$py benchmarks/bench_free_text.py --repeat 3"
  [detect_speed]="$py benchmarks/bench_detect_speed.py --repeat 5"
  [run_phases]="$py benchmarks/bench_run_phases.py --jobs 2 --customers 75000"
  [run_phases_j1]="$py benchmarks/bench_run_phases.py --jobs 1 --customers 75000"
  [known_entities]="$py benchmarks/bench_known_entities.py --values 10000000 --text-mb 10"
  [presidio_anonymizer]="$py benchmarks/bench_presidio_anonymizer.py --repeat 5"
  [remap_long]="$py benchmarks/bench_remap_long.py"
  [dump_load]="$py benchmarks/bench_dump_load.py --rows 1000000"
  [subset]="$py benchmarks/bench_subset.py"
  [detect]="$py benchmarks/bench_detect.py"
  [leak_scan]="$py benchmarks/bench_leak_scan.py --jobs 2"
  [plugin_ready]="$py benchmarks/bench_plugin_ready.py --clones 10 --sessions 3"
)
order=(vs_pynonymizer run_phases run_phases_j1 10m mask read leak_scan free_text detect_speed known_entities presidio_anonymizer remap_long dump_load subset detect
       plugin_ready)
[ $# -gt 0 ] && order=("$@")
for name in "${order[@]}"; do
  log="$out/$name.log"
  {
    echo "# $name on $(git rev-parse --short HEAD) at $(date -u +%FT%TZ)"
    echo "# load average before: $(cat /proc/loadavg)"
    echo "# ${commands[$name]}"
    start=$(date +%s)
    ${commands[$name]}
    echo "# exit $? after $(( $(date +%s) - start )) s; load average after: $(cat /proc/loadavg)"
  } > "$log" 2>&1
  tail -n 12 "$log"
done
