#!/usr/bin/env bash
# Frozen-behaviour check of `sifrac sweep` across a code change (issue 31): run the same short
# studies in two checkouts, then compare their outputs with tools/study_equality.py.
#
#   bash tools/study_equality.sh CHECKOUT        # writes CHECKOUT/results/study-equality
#   python tools/study_equality.py REF/results/study-equality NEW/results/study-equality
#
# Each checkout runs its own .venv/bin/sifrac from its own root with the same relative output
# paths, so the `outdir` column of sweep.csv is comparable. Studies: the notched-film bisection
# (serial, then replayed from its study.toml, then on 2 ranks), the same film as a grid (via
# --set) and as variants with a trend figure; and bad study files (exit status and message).
set -uo pipefail
ROOT=$(cd "$1" && pwd)
cd "$ROOT"
OUT=results/study-equality
SIFRAC=.venv/bin/sifrac
rm -rf "$OUT" && mkdir -p "$OUT/inputs"

study() {  # NAME ARGS...: one `sifrac sweep`, its exit status and log kept next to its outputs
    local name=$1
    shift
    "$@" --output "$OUT/$name" >"$OUT/$name.log" 2>&1
    echo $? >"$OUT/$name.rc"
}

FILM=cases/studies/film_notch_soc_end.toml
study film_bisection "$SIFRAC" sweep "$FILM"
cp -r "$OUT/film_bisection" "$OUT/film_replay"
study film_replay "$SIFRAC" sweep "$OUT/film_replay/study.toml"
study film_grid "$SIFRAC" sweep "$FILM" --set sweep.mode=grid --set "sweep.values=[0.93, 0.96]"
study film_mpi .venv/bin/mpiexec -n 2 "$SIFRAC" sweep "$FILM"

cat >"$OUT/inputs/variants.toml" <<EOF
[sweep]
base = "$ROOT/cases/film_delithiation_notch.toml"
mode = "variants"
criterion = {key = "max_damage", op = ">=", value = 0.5}
trend_x = "loading.soc_end"
trend_y = ["crack_initiation_soc", "final.max_damage"]
compare = ["cod_normalized"]
[sweep.variants.deep]
"loading.soc_end" = 0.9
[sweep.variants.shallow]
loading.soc_end = 0.97
[geometry]
mesh_size = 16.0
mesh_size_surface = 8.0
[output]
fields = false
probes = []
EOF
study film_variants "$SIFRAC" sweep "$OUT/inputs/variants.toml"

# Bad input: one message, exit 2, nothing written. One study file per line below.
BISECT='parameter = "geometry.diameter"\nbracket = [50.0, 450.0]\ntolerance = 10.0\n'
BASE='[geometry]\nkind = "particle"\ndiameter = 150.0\n[fracture]\nmodel = "AT1"\n'
bad=(
    "${BISECT}bracket_width = 3\n"
    'parameter = "geometry.diameter"\nbracket = [450.0, 50.0]\ntolerance = 10.0\n'
    'parameter = "geometry.diameter"\nbracket = [50.0, 450.0]\ntolerance = "fine"\n'
    'parameter = "geometry.diamter"\nbracket = [50.0, 450.0]\ntolerance = 10.0\n'
    'parameter = "geometry.kind"\nbracket = [50.0, 450.0]\ntolerance = 10.0\n'
    'parameter = "diameter"\nbracket = [50.0, 450.0]\ntolerance = 10.0\n'
    'parameter = "geometry.diameter"\nbracket = [-50.0, 450.0]\ntolerance = 10.0\n'
    'parameter = "geometry.diameter"\nbracket = [50.0, 1e999]\ntolerance = 10.0\n'
    'parameter = "geometry.diameter"\nbracket = [50.0, 450.0, 500.0]\ntolerance = 10.0\n'
    'mode = "grid"\nparameter = "geometry.diameter"\nvalues = [100.0, "big"]\n'
    'mode = "grid"\nparameter = "geometry.diameter"\nvalues = [100.0, 100]\n'
    'mode = "grid"\nparameter = "geometry.diameter"\nvalues = [nan]\n'
    'mode = "grid"\nparameter = "geometry.diameter"\nvalues = []\n'
    'mode = "grid"\nparameter = "geometry.diameter"\n'
    "${BISECT}values = [1.0]\n"
    "${BISECT}max_runs = 5\n"
    'mode = "grid"\nparameter = "geometry.diameter"\nvalues = [100.0, 200.0]\nmax_runs = 1\n'
    "${BISECT}criterion = {key = \"fractured\", op = \"~\"}\n"
    "${BISECT}criterion = {key = \"fractured\", op = \">=\"}\n"
    "${BISECT}criterion = {key = 3}\n"
    "${BISECT}criterion = {key = \"fractured\", when = 1}\n"
    "${BISECT}criterion = 7\n"
    "${BISECT}trend_x = \"geometry.size\"\n"
    "${BISECT}base = \"missing.toml\"\n"
    'mode = "variants"\n[sweep.variants.a]\n"electrolyte.material" = "LLZ"\n'
    'mode = "variants"\n[sweep.variants."a b"]\n"geometry.diameter" = 100.0\n'
    'mode = "variants"\n[sweep.variants.a]\ndiameter = 100.0\n'
    'mode = "variants"\nvariants = 3\n'
    'mode = "sideways"\n'
    'mode = "grid"\nparameter = "geometry.diameter"\nvalues = [100.0]\nname = 3\n'
)
: >"$OUT/bad_inputs.txt"
for i in "${!bad[@]}"; do
    file="$OUT/inputs/bad_$i.toml"
    printf "[sweep]\n${bad[$i]}\n${BASE}" >"$file"
    err=$("$SIFRAC" sweep "$file" --output "$OUT/bad_out" 2>&1 >/dev/null)
    printf '%s: exit %s, wrote %s: %s\n' "$i" "$?" "$([ -e "$OUT/bad_out" ] && echo yes || echo no)" "$err" \
        >>"$OUT/bad_inputs.txt"
done
printf 'none: exit ' >>"$OUT/bad_inputs.txt"
"$SIFRAC" sweep "$OUT/inputs/none.toml" >>"$OUT/bad_inputs.txt" 2>&1
echo "$?" >>"$OUT/bad_inputs.txt"
printf '%s\n' "${BASE}" | sed 's/\\n/\n/g' >"$OUT/inputs/no_sweep.toml"
"$SIFRAC" sweep "$OUT/inputs/no_sweep.toml" >>"$OUT/bad_inputs.txt" 2>&1
echo "no_sweep: exit $?" >>"$OUT/bad_inputs.txt"
"$SIFRAC" sweep "$FILM" --set fracture.model=none >>"$OUT/bad_inputs.txt" 2>&1
echo "no fracture model: exit $?" >>"$OUT/bad_inputs.txt"
"$SIFRAC" sweep "$FILM" --ranks-per-run 2 >>"$OUT/bad_inputs.txt" 2>&1
echo "ranks-per-run 2: exit $?" >>"$OUT/bad_inputs.txt"
"$SIFRAC" sweep "$FILM" --set sweep.mode=grid --set sweep.tolerance=3.0 >>"$OUT/bad_inputs.txt" 2>&1
echo "other mode's key: exit $?" >>"$OUT/bad_inputs.txt"
echo "studies written to $ROOT/$OUT"
