"""Independent reference for mmrad-io's ultrasound pixel spacing: reads the Sequence of Ultrasound Regions with
pydicom (no mmrad code).

For each file: whether PixelSpacing / ImagerPixelSpacing are present, every region's PhysicalUnitsX/YDirection and
PhysicalDeltaX/Y as pydicom parses them, and the spacing a reader should use when PixelSpacing is absent: the first
region whose units are centimetres (code 3, PS3.3 C.8.5.5.1.15) in both directions, deltas x 10 (cm -> mm), as
[row spacing, column spacing] = [10 * PhysicalDeltaY, 10 * PhysicalDeltaX] (DICOM PixelSpacing order), or null.
For PALETTE COLOR files, the per-channel sums of pydicom's `apply_color_lut` output (segmented tables expanded by
pydicom), to check a reader's palette expansion.
Writes us_regions.json next to this script.
Run: /tmp/pyref/bin/python tests/reference/io/us_regions.py /work/shared/data   (pydicom 3.0.2)
"""
import json
import sys
from pathlib import Path

import numpy as np
import pydicom
from pydicom.pixels import apply_color_lut

FILES = ["pydicom/gdcm-US-ALOKA-16.dcm", "pydicom/US1_UNCR.dcm", "pydicom/US1_J2KR.dcm"]
CM = 3


def summarise(path):
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    regions = []
    for region in ds.get("SequenceOfUltrasoundRegions", []):
        regions.append({
            "units_x": int(region.PhysicalUnitsXDirection),
            "units_y": int(region.PhysicalUnitsYDirection),
            "delta_x": float(region.PhysicalDeltaX),
            "delta_y": float(region.PhysicalDeltaY),
        })
    spacing_mm = None
    for region in regions:
        if region["units_x"] == CM and region["units_y"] == CM and region["delta_x"] != 0 and region["delta_y"] != 0:
            spacing_mm = [10.0 * abs(region["delta_y"]), 10.0 * abs(region["delta_x"])]
            break
    rgb_sums = None
    if ds.PhotometricInterpretation == "PALETTE COLOR":
        full = pydicom.dcmread(path)
        rgb = apply_color_lut(full.pixel_array, full)
        rgb_sums = [float(v) for v in rgb.reshape(-1, 3).sum(axis=0, dtype=np.float64)]
    return {
        "rgb_sums": rgb_sums,
        "modality": str(ds.get("Modality")),
        "has_pixel_spacing": "PixelSpacing" in ds,
        "has_imager_pixel_spacing": "ImagerPixelSpacing" in ds,
        "regions": regions,
        "spacing_mm": spacing_mm,
    }


def main():
    shared = Path(sys.argv[1])
    out = {"pydicom": pydicom.__version__, "numpy": np.__version__, "files": {}}
    for rel in FILES:
        out["files"][rel] = summarise(shared / rel)
    target = Path(__file__).with_name("us_regions.json")
    target.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
