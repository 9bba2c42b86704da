"""PyRadiomics 3.1.0 texture features for non-default texture settings on small synthetic volumes.

Reference for `crates/mmrad-conformance/tests/pyradiomics_texture.rs` (`non_default_settings_match_pyradiomics`):
the regression baselines only cover default texture settings (and `weightingNorm: no_weighting`), so this covers
`distances`, `symmetricalGLCM`, the three weighting norms with anisotropic spacing, `gldm_a` and `force2D` along
each axis, on volumes with an empty grey level, two ROI parts and a single-slice image.

Grey values are integers with 1 inside every ROI and `binWidth: 1`, so PyRadiomics' bin indices equal the values.

Run (PyRadiomics 3.1.0 reference environment of `../shared/reference/`, numpy 1.26):
    /tmp/pyref_np1/bin/python tests/reference/texture/make_reference.py > tests/reference/texture/texture_settings.txt

Output, line based: `case NAME NZ NY NX SX SY SZ`, `grey v...` (z, y, x order), `mask 0/1...`, then per setting
`setting KEY=VALUE;...`, `feature CLASS NAME VALUE` lines (repr floats), `end`.
"""

import logging

import numpy as np
import SimpleITK as sitk

import radiomics
from radiomics import glcm, gldm, glrlm, glszm, ngtdm

radiomics.setVerbosity(logging.CRITICAL)
logging.getLogger("radiomics").setLevel(logging.CRITICAL)

CLASSES = [("glcm", glcm.RadiomicsGLCM), ("glrlm", glrlm.RadiomicsGLRLM), ("glszm", glszm.RadiomicsGLSZM),
           ("gldm", gldm.RadiomicsGLDM), ("ngtdm", ngtdm.RadiomicsNGTDM)]

SETTINGS = [
    {},
    {"distances": [1, 2]},
    {"distances": [2]},
    {"symmetricalGLCM": False},
    {"weightingNorm": "manhattan"},
    {"weightingNorm": "euclidean"},
    {"weightingNorm": "infinity"},
    {"weightingNorm": "no_weighting"},
    {"gldm_a": 1},
    {"force2D": True, "force2Ddimension": 0},
    {"force2D": True, "force2Ddimension": 1},
    {"force2D": True, "force2Ddimension": 2},
]


def volumes():
    rng = np.random.default_rng(2026)
    # 1: 3D, levels 1..6 without 4, blobby ROI, anisotropic spacing.
    shape = (5, 7, 6)
    grey = rng.choice([1, 2, 3, 5, 6], size=shape, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    z, y, x = np.indices(shape)
    mask = ((z - 2) ** 2 / 6.0 + (y - 3) ** 2 / 9.0 + (x - 2.5) ** 2 / 7.0) <= 1.0
    grey[2, 3, 2] = 1
    yield "blob3d", grey, mask, (0.8, 0.6, 2.5)
    # 2: 3D, two separate ROI parts, 8 levels with smooth structure (long runs and zones).
    shape = (6, 8, 7)
    base = (z2 := np.indices(shape))[0] + z2[1] // 2 + z2[2] // 3
    grey = 1 + (base + rng.integers(0, 2, size=shape)) % 8
    mask = np.zeros(shape, dtype=bool)
    mask[0:3, 0:4, 0:4] = True
    mask[3:6, 5:8, 4:7] = True
    mask[4, 6, 5] = False
    grey[0, 0, 0] = 1
    yield "twoparts3d", grey, mask, (1.0, 1.0, 1.0)
    # 3: a single slice (2D image), levels 1..5.
    shape = (1, 9, 8)
    grey = rng.integers(1, 6, size=shape)
    mask = np.zeros(shape, dtype=bool)
    mask[0, 1:8, 1:7] = True
    mask[0, 4, 3] = False
    grey[0, 1, 1] = 1
    yield "slice2d", grey, mask, (0.7, 0.7, 3.0)


def main():
    for name, grey, mask, spacing in volumes():
        image = sitk.GetImageFromArray(grey.astype(np.float64))
        image.SetSpacing(spacing)
        label = sitk.GetImageFromArray(mask.astype(np.uint8))
        label.SetSpacing(spacing)
        nz, ny, nx = grey.shape
        print(f"case {name} {nz} {ny} {nx} {spacing[0]!r} {spacing[1]!r} {spacing[2]!r}")
        print("grey " + " ".join(str(int(v)) for v in grey.ravel()))
        print("mask " + " ".join("1" if m else "0" for m in mask.ravel()))
        for setting in SETTINGS:
            if setting.get("force2D") and setting["force2Ddimension"] != 0 and nz == 1:
                continue  # a single slice has no in-plane extent along z
            kwargs = dict(setting, binWidth=1, label=1)
            text = ";".join(f"{k}={v}" for k, v in setting.items())
            print(f"setting {text}")
            for class_name, cls in CLASSES:
                features = cls(image, label, **kwargs).execute()
                for feature, value in features.items():
                    print(f"feature {class_name} {feature} {float(value)!r}")
        print("end")


if __name__ == "__main__":
    main()
