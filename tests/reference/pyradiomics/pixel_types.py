"""Builds the pixel-type cases of tests/data/pixeltypes/ from the committed int16 CT phantom s1_c000_ct3d.

Each case stores the same CT in another pixel type, so that what SimpleITK (and so PyRadiomics) does with the stored
type shows: resampling casts back to it, PyWavelets transforms float32 in float32.
- ct_float32 (NRRD): the HU values as float32 (all integers);
- ct_uint16 (NRRD): HU shifted so the ROI minimum is 0 and clipped at 0, as uint16 (B-spline undershoot below 0
  is clamped by the uint16 cast);
- ct_scaled_nifti (NIfTI): int16 words HU + 1024 with scl_slope 1, scl_inter -1024 (SimpleITK reads float32).

Run from the workspace root: /tmp/pyref/bin/python tests/reference/pyradiomics/pixel_types.py
"""
import gzip
import json
import pathlib
import struct

import numpy as np
import SimpleITK as sitk

SRC = pathlib.Path('tests/data/phantoms/s1_c000_ct3d')
OUT = pathlib.Path('tests/data/pixeltypes')


def write_case(name, image, mask, ext, meta):
    d = OUT / name
    d.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(image, str(d / f'image.{ext}'), True)
    sitk.WriteImage(mask, str(d / f'mask.{ext}'), True)
    (d / 'meta.json').write_text(json.dumps(meta, indent=1) + '\n')
    return d


def main():
    image = sitk.ReadImage(str(SRC / 'image.nrrd'))
    mask = sitk.ReadImage(str(SRC / 'mask.nrrd'))
    assert image.GetPixelID() == sitk.sitkInt16
    hu = sitk.GetArrayFromImage(image).astype(np.int32)
    roi = sitk.GetArrayFromImage(mask) == 1

    write_case('ct_float32', sitk.Cast(image, sitk.sitkFloat32), mask, 'nrrd',
               {'source': 's1_c000_ct3d', 'dtype': 'float32', 'ndim': 3, 'what': 'HU as float32'})

    shift = int(hu[roi].min())
    shifted = np.clip(hu - shift, 0, None).astype(np.uint16)
    u16 = sitk.GetImageFromArray(shifted)
    u16.CopyInformation(image)
    write_case('ct_uint16', u16, mask, 'nrrd',
               {'source': 's1_c000_ct3d', 'dtype': 'uint16', 'ndim': 3, 'what': f'max(HU - ({shift}), 0) as uint16'})

    raw = sitk.GetImageFromArray((hu + 1024).astype(np.int16))
    raw.CopyInformation(image)
    d = write_case('ct_scaled_nifti', raw, sitk.Cast(mask, sitk.sitkUInt8), 'nii', {
        'source': 's1_c000_ct3d', 'dtype': 'int16 words, scl_slope 1, scl_inter -1024', 'ndim': 3,
        'what': 'HU + 1024 stored, scaled back by the header (SimpleITK reads float32)'})
    # scl_slope and scl_inter are the float32 fields at bytes 112 and 116 of the NIfTI-1 header.
    path = d / 'image.nii'
    data = bytearray(path.read_bytes())
    data[112:120] = struct.pack('<ff', 1.0, -1024.0)
    for name in ('image.nii', 'mask.nii'):
        blob = data if name == 'image.nii' else (d / name).read_bytes()
        with gzip.GzipFile(d / f'{name}.gz', 'wb', mtime=0) as f:
            f.write(blob)
        (d / name).unlink()
    back = sitk.ReadImage(str(d / 'image.nii.gz'))
    assert back.GetPixelID() == sitk.sitkFloat32, back.GetPixelIDTypeAsString()
    assert np.array_equal(sitk.GetArrayFromImage(back), hu.astype(np.float32))


if __name__ == '__main__':
    main()
