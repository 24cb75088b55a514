#!/usr/bin/env bash
# The scaling measurements of benchmarks/README.md, in order (about 30 min on 2 cores):
# Krylov counts over three refinements (2 ranks), the 0.3M-DOF sphere on 1 and 2 ranks (time per
# step and per staggered iteration, ratio to the bare solves, parallel efficiency), and the
# 1M-unknown sphere on 2 ranks (wall time, memory). Then benchmarks/report.py tabulates them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
MPI=.venv/bin/mpiexec
run() {  # ranks h steps label [extra --set ...]
    local n=$1 h=$2 steps=$3 label=$4; shift 4
    $MPI -n "$n" $PY benchmarks/scaling.py --steps "$steps" --label "$label" \
        --set geometry.mesh_size="$h" --set geometry.mesh_size_surface="$h" "$@"
}
run 2 12 7 sphere_h12               # crack nucleation and growth: many staggered iterations
run 2 8 4 sphere_h8
run 2 5.3 4 sphere_h5.3
run 1 4.3 4 sphere_h4.3             # >= 0.3M displacement DOFs
run 2 4.3 4 sphere_h4.3
run 2 3.45 3 sphere_h3.45           # >= 1M unknowns (u + c + d)
$PY benchmarks/report.py
