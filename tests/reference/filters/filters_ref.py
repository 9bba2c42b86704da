"""Voxel-level references for `crates/mmrad-image/tests/filters.rs`: PyRadiomics 3.1.0's own filter functions
(`radiomics.imageoperations.get<Type>Image`, which call SimpleITK and PyWavelets) on three small deterministic images.

Run with the oracle venv from the workspace root:

    /tmp/pyref_np1/bin/python tests/reference/filters/filters_ref.py > tests/reference/filters/filters_small.txt

Output: blocks `# <input> <filter> <image type name> <nz> <ny> <nx>` followed by one line of the voxels in [z, y, x]
C order as Python `repr(float)`; the inputs themselves are blocks with filter `input` (geometry on the `# geometry`
lines: spacing x y z and ndim).
"""
import logging

import numpy as np
import radiomics
import SimpleITK as sitk
from radiomics import imageoperations as io

logging.getLogger('radiomics').setLevel(logging.ERROR)


def inputs():
    rng = np.random.RandomState(20261126)
    # int16 3D, anisotropic, odd sizes along x and z (wavelet padding).
    a = rng.randint(-300, 900, size=(5, 6, 7)).astype(np.int16)
    # float32 3D.
    b = (rng.standard_normal((4, 5, 6)) * 40 + 10).astype(np.float32)
    # int16 2D.
    c = rng.randint(0, 500, size=(6, 7)).astype(np.int16)
    return [('a_int16', a, (0.7, 1.1, 1.6)), ('b_float32', b, (1.0, 0.9, 1.3)), ('c_int16_2d', c, (0.8, 1.2))]


def emit(case, filt, name, arr):
    arr = np.asarray(arr, dtype=np.float64)
    shape = arr.shape if arr.ndim == 3 else (1,) + arr.shape
    print(f'# {case} {filt} {name} {shape[0]} {shape[1]} {shape[2]}')
    print(' '.join(repr(float(v)) for v in arr.ravel()))


def main():
    print(f'# versions pyradiomics {radiomics.__version__} numpy {np.__version__} SimpleITK {sitk.Version_VersionString()}')
    for case, arr, spacing in inputs():
        im = sitk.GetImageFromArray(arr)
        im.SetSpacing(spacing)
        mask = sitk.GetImageFromArray(np.ones(arr.shape, dtype=np.uint8))
        mask.CopyInformation(im)
        print(f'# geometry {case} {" ".join(repr(s) for s in spacing)} ndim {arr.ndim}')
        emit(case, 'input', 'original', arr)
        runs = [
            ('square', io.getSquareImage, {}),
            ('squareroot', io.getSquareRootImage, {}),
            ('logarithm', io.getLogarithmImage, {}),
            ('exponential', io.getExponentialImage, {}),
            ('gradient', io.getGradientImage, {}),
            ('gradient-nospacing', io.getGradientImage, {'gradientUseSpacing': False}),
            ('log', io.getLoGImage, {'sigma': [1.0, 2.5, 0.5]}),
        ]
        if True:
            # PyWavelets transforms float32 images in float32 (b_float32), others in float64.
            runs += [
                ('wavelet-coif1', io.getWaveletImage, {}),
                ('wavelet-haar', io.getWaveletImage, {'wavelet': 'haar'}),
                ('wavelet-db3', io.getWaveletImage, {'wavelet': 'db3'}),
                ('wavelet-sym4', io.getWaveletImage, {'wavelet': 'sym4'}),
                ('wavelet-coif2', io.getWaveletImage, {'wavelet': 'coif2'}),
                ('wavelet-bior2.4', io.getWaveletImage, {'wavelet': 'bior2.4'}),
                ('wavelet-coif1-start1-level2', io.getWaveletImage, {'start_level': 1, 'level': 2}),
            ]
            if arr.ndim == 3:
                runs.append(('wavelet-coif1-force2d', io.getWaveletImage, {'force2D': True, 'force2Ddimension': 0}))
        for filt, fn, kwargs in runs:
            for out, name, _ in fn(im, mask, **kwargs):
                emit(case, filt, name, sitk.GetArrayFromImage(out))


main()
