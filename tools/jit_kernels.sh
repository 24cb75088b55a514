#!/bin/bash
# List the FFCx kernels a run compiles, by signature: compiled into an empty JIT cache, so two
# checkouts (e.g. main and a restructuring) can be compared with `comm -3 A.txt B.txt`. The same
# list means the same generated code, hence the same round-off (UFL orders the operands of sums
# and products by the creation order of Functions and Constants: see docs/notes/solver-design.md).
#
#   tools/jit_kernels.sh OUT.txt cases/demo_particle.toml --set time.max_steps=2
#
# Runs `sifrac run` from this checkout's .venv with the given arguments (a step or two compiles
# every form; lazily compiled ones such as the proximal mass matrix appear when first needed).
set -euo pipefail
out=$1; shift
root=$(cd "$(dirname "$0")/.." && pwd)
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
(cd "$root" && XDG_CACHE_HOME="$cache" .venv/bin/sifrac -q run "$@" --output "$cache/run" > "$cache/log" 2>&1) \
    || { cat "$cache/log" >&2; exit 1; }
ls "$cache/fenics" | grep '\.c$' | sort > "$out"
echo "$(wc -l < "$out") kernels in $out"
