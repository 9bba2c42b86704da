"""Writes a small PALETTE COLOR image whose 16-bit Segmented Palette Color Lookup Tables use indirect segments
(PS3.3 C.7.9.2.3, opcode 2), and records what pydicom (no mmrad code) makes of it.

Output: tests/data/io/palette_indirect.dcm and tests/reference/io/palette_indirect.json with
- `lut_red`, `lut_green`, `lut_blue`: the tables expanded by pydicom's `_expand_segmented_lut` (as
  `pydicom.pixels.processing.apply_color_lut` expands them),
- `rgb`: `apply_color_lut(pixel_array, ds)` flattened in row, column, sample order,
- `grey`: `0.30 R + 0.59 G + 0.11 B` per pixel (ITK's `RGBPixel::GetLuminance`, mmrad's default colour rule), row-major.

Every indirect segment points at byte offset 0 (the first segment): the DICOM standard defines the offset in bytes
from the start of the table, and pydicom indexes the table's words with it, so only offset 0 means the same to both.
The channels cover: an indirect segment copying one discrete segment, and one copying a discrete and a linear
segment; a linear segment continuing from the last value an indirect segment wrote; an indirect segment at the end;
a table padded with a trailing zero word.
The 8 × 8 image holds every stored value 0..63 once (first mapped value 0, 64 entries per table).
Run: /tmp/pyref/bin/python tests/reference/io/palette_indirect.py   (pydicom 3.0.2, numpy 2)
"""
import json
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels.processing import _expand_segmented_lut, apply_color_lut
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

ROOT = Path(__file__).resolve().parents[3]
N_ENTRIES = 64

# Segments: (0, n, values...) discrete, (1, n, end) linear, (2, n_segments, offset_lo, offset_hi) indirect.
RED = [
    0, 4, 1000, 2000, 3000, 4000,  # discrete: 4 entries
    1, 20, 60000,  # linear from 4000 to 60000: 20 entries
    2, 2, 0, 0,  # copy segments 0 and 1: the 4 discrete entries, then the same ramp: 24 entries
    1, 16, 100,  # linear down to 100: 16 entries
]  # 4 + 20 + 24 + 16 = 64
GREEN = [
    0, 3, 7, 65535, 300,  # discrete: 3 entries
    1, 29, 30000,  # linear from 300 to 30000: 29 entries
    2, 1, 0, 0,  # copy the discrete segment: 3 entries
    1, 26, 5,  # linear from 300 to 5: 26 entries
    2, 1, 0, 0,  # copy the discrete segment again: 3 entries
    0,  # trailing padding word
]  # 3 + 29 + 3 + 26 + 3 = 64
BLUE = [
    0, 8, 10, 20, 30, 40, 50, 60, 70, 80,  # discrete: 8 entries
    2, 1, 0, 0,  # copy it: 8 entries
    1, 48, 12345,  # linear from 80 to 12345: 48 entries
]  # 8 + 8 + 48 = 64


def main():
    fmt = f"<{N_ENTRIES}H"
    luts = [_expand_segmented_lut(tuple(seg), fmt) for seg in (RED, GREEN, BLUE)]
    for lut in luts:
        assert len(lut) == N_ENTRIES, len(lut)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.30001.1"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.1"
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.30001.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.30001.3"
    ds.Modality = "OT"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ds.Rows = 8
    ds.Columns = 8
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelSpacing = [0.5, 0.5]
    for colour, seg in zip(("Red", "Green", "Blue"), (RED, GREEN, BLUE)):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [N_ENTRIES, 0, 16])
        setattr(ds, f"Segmented{colour}PaletteColorLookupTableData", np.array(seg, dtype="<u2").tobytes())
    # Stored values 0..63, in a scrambled but fixed order.
    pixels = ((np.arange(64, dtype=np.uint16) * 37) % 64).astype(np.uint8).reshape(8, 8)
    ds.PixelData = pixels.tobytes()
    out = ROOT / "tests" / "data" / "io" / "palette_indirect.dcm"
    ds.save_as(out, enforce_file_format=True)

    read = pydicom.dcmread(out)
    rgb = apply_color_lut(read.pixel_array, read)
    assert rgb.shape == (8, 8, 3)
    for k in range(3):
        assert [int(v) for v in rgb[..., k][read.pixel_array == 5]] == [luts[k][5]]
    r, g, b = (rgb[..., k].astype(np.float64) for k in range(3))
    grey = 0.30 * r + 0.59 * g + 0.11 * b
    result = {
        "pydicom": pydicom.__version__,
        "numpy": np.__version__,
        "file": "tests/data/io/palette_indirect.dcm",
        "lut_red": luts[0],
        "lut_green": luts[1],
        "lut_blue": luts[2],
        "stored": [int(v) for v in read.pixel_array.ravel()],
        "rgb": [int(v) for v in rgb.ravel()],
        "grey": [float(v) for v in grey.ravel()],
    }
    (ROOT / "tests" / "reference" / "io" / "palette_indirect.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
