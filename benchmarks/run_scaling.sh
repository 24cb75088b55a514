#!/usr/bin/env bash
# The scaling measurements of benchmarks/README.md, in order (about 1 h 45 min on 2 cores):
# Krylov counts over refinements (2 ranks, elastic phase), the elastic phase of 0.25M and 0.46M
# displacement-DOF spheres on 1 and 2 ranks, and the fracture phase (a seeded penny crack in the
# core grows: damage VI and many staggered iterations) at 0.3M displacement DOFs on 1 and 2 ranks
# and at 1M unknowns (u + c + d) on 2 ranks, then a complete 1M-unknown lithiation-with-fracture
# run. Then benchmarks/report.py tabulates them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
MPI=.venv/bin/mpiexec
SEED=(--set "fracture.initial_disc=[[0.0,0.0,0.0],[0.0,0.0,1.0]]" --set fracture.initial_disc_radius=60.0)
run() {  # ranks h steps label [extra arguments]
    local n=$1 h=$2 steps=$3 label=$4; shift 4
    $MPI -n "$n" $PY benchmarks/scaling.py --steps "$steps" --label "$label" \
        --set geometry.mesh_size="$h" --set geometry.mesh_size_surface="$h" "$@"
}
run 2 12 7 sphere_h12                 # nucleation and growth in the core: 148 staggered iterations
run 2 8 4 sphere_h8                   # elastic phase (no damage yet): refinement series
run 2 5.3 4 sphere_h5.3
run 1 4.3 4 sphere_h4.3
run 2 4.3 4 sphere_h4.3
run 2 3.45 3 sphere_h3.45
run 2 4.0 4 seeded_h4.0 "${SEED[@]}" --log-view   # fracture phase, >= 0.3M displacement DOFs
run 1 4.0 4 seeded_h4.0 "${SEED[@]}"
run 2 3.12 3 seeded_h3.12 "${SEED[@]}"             # >= 1M unknowns (u + c + d)
# The whole lithiation with fracture at 1M unknowns (about 1 h): over-relaxed alternate minimisation
# (130 instead of 182 staggered iterations at h = 8, same crack area within 0.2%), and room for the
# nucleation step, which takes the most staggered iterations of the run.
run 2 3.12 1000 full_h3.12 --set fracture.acceleration=overrelaxation --set fracture.max_iterations=1000
$PY benchmarks/report.py
