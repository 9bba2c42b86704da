#!/usr/bin/env bash
# PyRadiomics 3.1.0 references for the LBP2D / LBP3D image types (crates/mmrad-conformance/tests/pyradiomics_lbp.rs).
#
#   bash tests/reference/pyradiomics/lbp_refs.sh        (from the workspace root; ../shared next to it)
#
# Needs the oracle venv /tmp/pyref_np1 (../shared/reference/setup.sh) plus scikit-image 0.25.2 and trimesh 4.5.3
# (`/tmp/pyref_np1/bin/pip install scikit-image==0.25.2 trimesh==4.5.3`; neither changes numpy 1.26.4 or scipy), and
# scipy 1.16.3 in /tmp/scipy1163 (`pip install --no-deps --target /tmp/scipy1163 scipy==1.16.3`): PyRadiomics'
# getLBP3DImage imports scipy.special.sph_harm, which scipy 1.17 (the oracle's) removed -- with it, PyRadiomics logs
# a warning and silently yields no LBP3D image. scipy 1.16.3 is the last release holding sph_harm; it comes first on
# PYTHONPATH for these runs only, so the other references keep the oracle's scipy.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
R="$SHARED/reference/extract_ref.py"
P="$ROOT/tests/data/params"
PY=/tmp/pyref_np1/bin/python
export PYTHONPATH=/tmp/scipy1163
$PY -c 'import scipy, skimage, trimesh, numpy, radiomics; from scipy.special import sph_harm
print("scipy", scipy.__version__, "scikit-image", skimage.__version__, "trimesh", trimesh.__version__,
      "numpy", numpy.__version__, "pyradiomics", radiomics.__version__)'
REAL="$(mktemp -d)"
trap 'rm -rf "$REAL"' EXIT
for c in breast1 lung1; do mkdir -p "$REAL/all/$c"
  ln -s "$SHARED/data/pyradiomics/${c}_image.nrrd" "$REAL/all/$c/image.nrrd"
  ln -s "$SHARED/data/pyradiomics/${c}_label.nrrd" "$REAL/all/$c/mask.nrrd"; done
mkdir -p "$REAL/breast" && cp -P -r "$REAL/all/breast1" "$REAL/breast/"
cd "$ROOT/tests/reference/pyradiomics"
run() {  # $1 cases folder, $2 params stem, $3 output stem, $4 --select
  $PY "$R" --cases "$1" --params "$P/$2.yaml" --select "$4" --no-warmup \
      --out-csv "$3.csv" --out-timing "$3.timing.json"
}
# (e) defaults, no resampling: every phantom, and breast1 (lung1 unresampled is 512 x 512 x 48 voxels: too slow for
# a debug test).
run "$ROOT/tests/data/phantoms" e_lbp phantoms_e_lbp all
run "$REAL/breast" e_lbp real_e_lbp all
# (f) every LBP setting changed, 1 mm resampling, force2D along axis 1: 3D phantoms, breast1 and lung1.
run "$ROOT/tests/data/phantoms" f_lbp_resampled_settings phantoms_f_lbp_resampled_settings 3d
run "$REAL/all" f_lbp_resampled_settings real_f_lbp_resampled_settings all
