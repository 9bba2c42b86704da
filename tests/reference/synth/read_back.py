"""Independent reading of a small image-level synthetic cohort with pydicom and numpy (no mmrad code).

The cohort is the one `crates/mmrad-synth/tests/images.rs` (test `pydicom_reads_what_the_generator_drew`) draws in
memory: `liang2025`, n = 12, events = 4, seed = 7. Generate it, then run this script:

    mmrad synth liang2025 --out /tmp/synth12 --n 12 --events 4 --seed 7
    python3 tests/reference/synth/read_back.py /tmp/synth12 > tests/reference/synth/read_back.json

For every file written (paths relative to the cohort folder, `/`-separated) it records:
- DICOM images: `shape` of pydicom's `pixel_array` (stored values: no rescale, no MONOCHROME1 inversion; RGB as
  rows x columns x 3), its `min`, `max`, `sum`, plus `photometric`, `rescale` (slope, intercept or null),
  `spacing` (PixelSpacing, ImagerPixelSpacing or the ultrasound region deltas in mm), `position`
  (ImagePositionPatient or null);
- DICOM SEG: `shape` (frames, rows, columns) of the unpacked bits, `sum`, and the per-frame positions' z values;
- RTSTRUCT: the ROI names, `contours` (count), `points` (total), `sum` of all ContourData values, and the contour
  geometric types;
- NRRD label maps (parsed by hand: header, gzip body, little-endian int16): `shape` (z, y, x or y, x), `sum`, `max`.
"""
import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pydicom


def nrrd_stats(path):
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n\n")
    fields = {}
    for line in head.decode().splitlines()[1:]:
        if line.startswith("#") or ": " not in line:
            continue
        key, value = line.split(": ", 1)
        fields[key] = value.strip()
    assert fields["type"] == "short" and fields["encoding"] == "gzip" and fields["endian"] == "little"
    sizes = [int(s) for s in fields["sizes"].split()]
    data = np.frombuffer(gzip.decompress(body), dtype="<i2").reshape(sizes[::-1])
    return {"kind": "nrrd", "shape": list(data.shape), "sum": int(data.sum()), "max": int(data.max())}


def dicom_stats(path):
    ds = pydicom.dcmread(path)
    modality = ds.Modality
    if modality == "RTSTRUCT":
        contours = []
        for roi_contour in ds.ROIContourSequence:
            contours.extend(roi_contour.ContourSequence)
        values = [float(v) for c in contours for v in c.ContourData]
        return {
            "kind": "rtstruct",
            "rois": [roi.ROIName for roi in ds.StructureSetROISequence],
            "contours": len(contours),
            "points": sum(int(c.NumberOfContourPoints) for c in contours),
            "sum": float(np.sum(values)),
            "types": sorted({c.ContourGeometricType for c in contours}),
        }
    pixels = ds.pixel_array
    if modality == "SEG":
        pixels = pixels.reshape((int(ds.NumberOfFrames), ds.Rows, ds.Columns))
        positions = [
            float(frame.PlanePositionSequence[0].ImagePositionPatient[2])
            for frame in ds.PerFrameFunctionalGroupsSequence
        ]
        return {
            "kind": "seg",
            "shape": list(pixels.shape),
            "sum": int(pixels.astype(np.int64).sum()),
            "frame_z": positions,
        }
    if "PixelSpacing" in ds:
        spacing = [float(v) for v in ds.PixelSpacing]
    elif "ImagerPixelSpacing" in ds:
        spacing = [float(v) for v in ds.ImagerPixelSpacing]
    else:
        region = ds.SequenceOfUltrasoundRegions[0]
        spacing = [float(region.PhysicalDeltaY) * 10.0, float(region.PhysicalDeltaX) * 10.0]
    rescale = None
    if "RescaleSlope" in ds:
        rescale = [float(ds.RescaleSlope), float(ds.RescaleIntercept)]
    position = [float(v) for v in ds.ImagePositionPatient] if "ImagePositionPatient" in ds else None
    return {
        "kind": "image",
        "modality": modality,
        "photometric": ds.PhotometricInterpretation,
        "shape": list(pixels.shape),
        "min": int(pixels.min()),
        "max": int(pixels.max()),
        "sum": int(pixels.astype(np.int64).sum()),
        "rescale": rescale,
        "spacing": spacing,
        "position": position,
    }


def main():
    root = Path(sys.argv[1])
    out = {"cohort": {"generator": "liang2025", "n": 12, "events": 4, "seed": 7}, "files": {}}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".dcm":
            out["files"][rel] = dicom_stats(path)
        elif path.suffix == ".nrrd":
            out["files"][rel] = nrrd_stats(path)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
