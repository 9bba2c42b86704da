"""Writes a small synthetic RTSTRUCT with pydicom (no mmrad code): tests/data/io/rs_synthetic.dcm.

The image grid it is drawn on (the test builds the same grid): size (x, y, z) = (10, 10, 3), origin (-10, 20, 5) mm,
spacing (0.5, 0.8, 2.0) mm, identity direction; a point at continuous index (i, j, k) is at
origin + (0.5 i, 0.8 j, 2.0 k). ROIs (closed-form voxel sets, pixel centres at integer indices):
- `ring` (ROINumber 1): on slice 1, the square with index corners (1.5, 1.5)-(7.5, 7.5) (centres 2..7: 36 voxels)
  and inside it the square (3.5, 3.5)-(5.5, 5.5) (centres 4..5: 4 voxels), a hole: 32 voxels; on slice 2 the square
  (2.5, 2.5)-(4.5, 4.5): 4 voxels. Total 36.
- `empty` (2): one CLOSED_PLANAR contour with no points.
- `beyond` (3): a square on z index 50, where the image has no slice.
- `between` (4): a square on z index 1.5, between two slices.
- `tilted` (5): a triangle whose points lie on z indices 0, 1 and 2 (not parallel to the slices).
Run: python3 tests/reference/io/rtstruct_fixtures.py
"""
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

ROOT = Path(__file__).resolve().parents[3]
RTSTRUCT_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
ORIGIN = (-10.0, 20.0, 5.0)
SPACING = (0.5, 0.8, 2.0)
IMAGE_SERIES = "1.2.826.0.1.3680043.8.498.20001"


def physical(i, j, k):
    return [ORIGIN[0] + SPACING[0] * i, ORIGIN[1] + SPACING[1] * j, ORIGIN[2] + SPACING[2] * k]


def square(lo, hi, k):
    corners = [(lo, lo), (hi, lo), (hi, hi), (lo, hi)]
    return [v for (i, j) in corners for v in physical(i, j, k)]


def contour(points):
    c = Dataset()
    c.ContourGeometricType = "CLOSED_PLANAR"
    c.NumberOfContourPoints = len(points) // 3
    c.ContourData = [round(v, 6) for v in points]
    return c


def main():
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = RTSTRUCT_CLASS
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.20002"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = RTSTRUCT_CLASS
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "RTSTRUCT"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.20003"
    series = Dataset()
    series.SeriesInstanceUID = IMAGE_SERIES
    study = Dataset()
    study.RTReferencedSeriesSequence = Sequence([series])
    frame = Dataset()
    frame.FrameOfReferenceUID = "1.2.826.0.1.3680043.8.498.20004"
    frame.RTReferencedStudySequence = Sequence([study])
    ds.ReferencedFrameOfReferenceSequence = Sequence([frame])
    rois = {
        1: ("ring", [square(1.5, 7.5, 1), square(3.5, 5.5, 1), square(2.5, 4.5, 2)]),
        2: ("empty", [[]]),
        3: ("beyond", [square(1.5, 4.5, 50)]),
        4: ("between", [square(1.5, 4.5, 1.5)]),
        5: ("tilted", [physical(1, 1, 0) + physical(6, 1, 1) + physical(3, 6, 2)]),
    }
    structure = []
    contours = []
    for number, (name, polygons) in rois.items():
        s = Dataset()
        s.ROINumber = number
        s.ROIName = name
        structure.append(s)
        rc = Dataset()
        rc.ReferencedROINumber = number
        rc.ContourSequence = Sequence([contour(p) for p in polygons])
        contours.append(rc)
    ds.StructureSetROISequence = Sequence(structure)
    ds.ROIContourSequence = Sequence(contours)
    out = ROOT / "tests" / "data" / "io" / "rs_synthetic.dcm"
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out, enforce_file_format=True)
    print(out, out.stat().st_size, "bytes; pydicom", pydicom.__version__)


if __name__ == "__main__":
    main()
