#!/usr/bin/env bash
# One picture per geometry family for docs/user-guide.md, drawn by `sifrac mesh` (coloured by region).
set -euo pipefail
SIFRAC=${SIFRAC:-.venv/bin/sifrac}
OUT=docs/figures
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
: > "$TMP/empty.toml"
mesh() {  # name, then --set items
    local name=$1; shift
    "$SIFRAC" -q mesh "$TMP/empty.toml" --output "$TMP/$name" "${@/#/--set=}" > /dev/null
    cp "$TMP/$name/mesh.png" "$OUT/geometry_$name.png"
}
mesh particle geometry.kind=particle geometry.dim=3 geometry.symmetry=true geometry.mesh_size=15.0
mesh particle_in_llzo geometry.kind=particle geometry.dim=2 geometry.matrix=true electrolyte.material=LLZO
mesh nanowire geometry.kind=nanowire geometry.dim=3 geometry.mesh_size=15.0
mesh hollow_sphere geometry.kind=hollow_sphere geometry.dim=2 geometry.diameter=400.0 geometry.mesh_size=12.0
mesh thin_film geometry.kind=thin_film geometry.dim=2 geometry.thickness=200.0 geometry.width=400.0 \
    geometry.notch_depth=20.0 geometry.notch_width=10.0 geometry.cap=true electrolyte.material=LLZO \
    geometry.mesh_size=10.0
mesh file geometry.kind=file "geometry.file=$TMP/thin_film/mesh.msh" geometry.dim=2 electrolyte.material=LLZO
echo "written: $(ls "$OUT"/geometry_*.png | tr '\n' ' ')"
