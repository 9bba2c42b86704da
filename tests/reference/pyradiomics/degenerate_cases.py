"""Degenerate inputs for `crates/mmrad-cli/tests/degenerate_cli.rs` (issue 9, numerical robustness): writes
`tests/data/degenerate/<case>/{image,mask}.nrrd` (deterministic, seed 9). Run from the workspace root with the
reference environment's python (SimpleITK): /tmp/pyref_np1/bin/python tests/reference/pyradiomics/degenerate_cases.py

Cases (3D images 16 x 16 x 8 voxels of 0.8 x 0.8 x 2 mm unless said):
  constant_roi    ROI of 4 x 4 x 3 voxels all 100.0 (one grey level: texture matrices of one cell)
  two_levels      ROI half 0, half 50 (two bins at binWidth 25)
  tiny_values     float32 image of values ~1e-30 (the whole ROI in one bin, first order non-trivial)
  huge_range      int32 image spanning -2e9..2e9 inside the ROI (binWidth 25: 1.6e8 bins; binCount works)
  float32_extreme float32 image with +-3e38 inside the ROI (the range overflows float32 arithmetic)
  single_voxel    ROI of one voxel (PyRadiomics: too few dimensions)
  line_roi        ROI of 1 x 1 x 5 voxels (one dimension)
  flat_roi        ROI of 6 x 6 x 1 voxels (a 2D ROI in a 3D image)
  nan_in_roi      float32 image with one NaN voxel inside the ROI
"""
import os

import numpy as np
import SimpleITK as sitk

ROOT = os.path.join("tests", "data", "degenerate")
rng = np.random.default_rng(9)
shape = (8, 16, 16)  # numpy (z, y, x)


def write(case, image, mask):
    d = os.path.join(ROOT, case)
    os.makedirs(d, exist_ok=True)
    for arr, name in ((image, "image"), (mask, "mask")):
        img = sitk.GetImageFromArray(arr)
        img.SetSpacing((0.8, 0.8, 2.0))
        img.SetOrigin((-6.0, -6.0, 10.0))
        sitk.WriteImage(img, os.path.join(d, name + ".nrrd"), useCompression=True)


def base(dtype=np.int16):
    return rng.integers(-200, 200, size=shape).astype(dtype)


def box(z, y, x):
    m = np.zeros(shape, np.uint8)
    m[z[0]:z[1], y[0]:y[1], x[0]:x[1]] = 1
    return m


m = box((2, 5), (6, 10), (6, 10))
im = base(np.float32)
im[m == 1] = 100.0
write("constant_roi", im, m)

im = base()
roi = np.argwhere(m == 1)
for k, (z, y, x) in enumerate(roi):
    im[z, y, x] = 0 if k % 2 == 0 else 50
write("two_levels", im, m)

im = (rng.standard_normal(shape) * 1e-30).astype(np.float32)
write("tiny_values", im, m)

im = rng.integers(-2_000_000_000, 2_000_000_000, size=shape, dtype=np.int64).astype(np.int32)
write("huge_range", im, m)

im = base(np.float32)
vals = rng.choice(np.array([-3e38, 3e38, 0.0], np.float32), size=int(m.sum()))
im[m == 1] = vals
write("float32_extreme", im, m)

write("single_voxel", base(), box((3, 4), (7, 8), (7, 8)))
write("line_roi", base(), box((1, 6), (7, 8), (7, 8)))
write("flat_roi", base(), box((4, 5), (5, 11), (5, 11)))

im = base(np.float32)
im[3, 7, 7] = np.nan
write("nan_in_roi", im, m)

# The float32_extreme image stored as float64 (exactly the same values), outside the committed data: PyRadiomics
# computes its binCount edges in the image's type, so on float32 the range 6e38 overflows (IndexError), while on the
# float64 copy it gives the values mmrad (which always discretises in f64) must reproduce from the float32 file.
F64 = os.environ.get("DEGENERATE_F64_DIR")
if F64:
    ROOT = F64
    im = sitk.GetArrayFromImage(sitk.ReadImage(os.path.join("tests", "data", "degenerate", "float32_extreme",
                                                            "image.nrrd"))).astype(np.float64)
    ma = sitk.GetArrayFromImage(sitk.ReadImage(os.path.join("tests", "data", "degenerate", "float32_extreme",
                                                            "mask.nrrd")))
    write("float32_extreme", im, ma)
