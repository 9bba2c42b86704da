"""Voxel-level references for `crates/mmrad-image/tests/lbp.rs`: PyRadiomics 3.1.0's `getLBP2DImage` and
`getLBP3DImage` (scikit-image 0.25.2 `local_binary_pattern`; trimesh 4.5.3 `icosphere`, scipy 1.16.3 `sph_harm`,
`map_coordinates` and `kurtosis`) on small deterministic images, and trimesh's icosphere vertices.

Run with the oracle venv from the workspace root (scipy 1.16.3 first on the path: scipy 1.17 has no sph_harm; see
`tests/reference/pyradiomics/lbp_refs.sh`):

    PYTHONPATH=/tmp/scipy1163 /tmp/pyref_np1/bin/python tests/reference/filters/lbp_ref.py \
        > tests/reference/filters/lbp_small.txt

Output: blocks `# <input> <run> <image type name> <nz> <ny> <nx>` followed by one line of the voxels in [z, y, x]
C order as Python `repr(float)`. Inputs are blocks with run `input` (line `# dtype <input> <numpy dtype> ndim <n>`
before it) and `mask`; LBP3D writes only the ROI voxels (PyRadiomics leaves the rest uninitialised), the others are
written as 0. `# icosphere <subdivisions> <radius> <n>` blocks hold trimesh's vertices, x y z per vertex.
"""
import logging
import warnings

import numpy as np
import radiomics
import scipy
import SimpleITK as sitk
import skimage
import trimesh
from radiomics import imageoperations as io
from trimesh.creation import icosphere

logging.getLogger('radiomics').setLevel(logging.ERROR)
warnings.simplefilter('ignore')


def inputs():
    rng = np.random.RandomState(20261127)
    a = rng.randint(-300, 900, size=(6, 7, 8)).astype(np.int16)
    a[1:5, 1:6, 1:6] = 77  # a flat block: ties between samples and centres
    b = (rng.standard_normal((5, 6, 7)) * 40 + 10).astype(np.float32)
    c = rng.randint(0, 500, size=(7, 8)).astype(np.int16)
    d = rng.randint(0, 256, size=(4, 6, 5)).astype(np.uint8)  # uint8: map_coordinates clips and rounds
    e = rng.randint(0, 60, size=(1, 7, 6)).astype(np.int16)  # a single slice
    f = rng.standard_normal((5, 6, 6)) * 3.0  # float64
    out = []
    for name, arr in (('a_int16', a), ('b_float32', b), ('c_int16_2d', c), ('d_uint8', d), ('e_slice', e),
                      ('f_float64', f)):
        mask = np.zeros(arr.shape, dtype=np.uint8)
        if arr.ndim == 3:
            mask[:, 1:, :-2] = 1  # touches the borders (samples outside the image)
            mask[0, 1, 1] = 0
            if name == 'a_int16':
                mask[2, 2, 2] = 2  # another label: not in the ROI
        else:
            mask[1:, 2:] = 1
        out.append((name, arr, mask))
    return out


def emit(case, run, name, arr):
    arr = np.asarray(arr, dtype=np.float64)
    shape = arr.shape if arr.ndim == 3 else (1,) + arr.shape
    print(f'# {case} {run} {name} {shape[0]} {shape[1]} {shape[2]}')
    print(' '.join(repr(float(v)) for v in arr.ravel()))


def main():
    print(f'# versions pyradiomics {radiomics.__version__} numpy {np.__version__} scipy {scipy.__version__} '
          f'scikit-image {skimage.__version__} trimesh {trimesh.__version__}')
    for sub, radius in ((0, 1.0), (1, 1.0), (1, 1.5), (2, 1.0), (2, 2.5)):
        v = np.asarray(icosphere(sub, radius).vertices)
        print(f'# icosphere {sub} {radius!r} {len(v)}')
        print(' '.join(repr(float(x)) for x in v.ravel()))
    for case, arr, mask_arr in inputs():
        im = sitk.GetImageFromArray(arr)
        mask = sitk.GetImageFromArray(mask_arr)
        mask.CopyInformation(im)
        print(f'# dtype {case} {arr.dtype} ndim {arr.ndim}')
        emit(case, 'input', 'original', arr)
        emit(case, 'mask', 'mask', mask_arr)
        runs2 = [('lbp2d-default-settings', {})]
        for method in ('uniform', 'default', 'ror', 'nri_uniform', 'var'):
            runs2.append((f'lbp2d-{method}-r1.5-p9', {'lbp2DRadius': 1.5, 'lbp2DSamples': 9, 'lbp2DMethod': method}))
        runs2.append(('lbp2d-uniform-r2.3-p5', {'lbp2DRadius': 2.3, 'lbp2DSamples': 5}))
        runs2.append(('lbp2d-default-r0.7-p6', {'lbp2DRadius': 0.7, 'lbp2DSamples': 6, 'lbp2DMethod': 'default'}))
        if arr.ndim == 3:
            for axis in (1, 2):
                runs2.append((f'lbp2d-default-r1.5-p9-axis{axis}',
                              {'lbp2DRadius': 1.5, 'lbp2DSamples': 9, 'lbp2DMethod': 'default',
                               'force2Ddimension': axis}))
        for run, kwargs in runs2:
            for out, name, _ in io.getLBP2DImage(im, mask, **kwargs):
                emit(case, run, name, sitk.GetArrayFromImage(out))
        runs3 = [
            ('lbp3d-default-settings', {}),
            ('lbp3d-l3-r1.5-s2', {'lbp3DLevels': 3, 'lbp3DIcosphereRadius': 1.5, 'lbp3DIcosphereSubdivision': 2}),
            ('lbp3d-l2-r0.8-s0', {'lbp3DIcosphereRadius': 0.8, 'lbp3DIcosphereSubdivision': 0}),
        ]
        roi = mask_arr == 1
        for run, kwargs in runs3:
            for out, name, _ in io.getLBP3DImage(im, mask, **kwargs):
                emit(case, run, name, np.where(roi, sitk.GetArrayFromImage(out), 0.0))


main()
