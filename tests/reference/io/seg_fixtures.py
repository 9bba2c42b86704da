"""Writes small synthetic DICOM SEG fixtures with pydicom, and the label volumes they encode (no mmrad code).

tests/data/io/seg_two_segments.dcm: BINARY (bit-packed; 5 x 7 frames, so frames do not start on byte boundaries),
  two segments (1 `Tumour` on 4 slices, 2 `Edema` on slices 0 and 3 only), frames stored in a shuffled order,
  axial, PixelSpacing 0.8 (rows) x 0.6 (columns), SpacingBetweenSlices 2.5.
tests/data/io/seg_fractional.dcm: FRACTIONAL (8 bit, MaximumFractionalValue 200), one segment, sagittal orientation
  (row direction +y, column direction -z, normal -x), 4 x 6 frames, 3 slices 2.0 mm apart, frames in reverse order.
tests/reference/io/seg_fixtures.json: for each fixture, the geometry (origin of voxel (0,0,0), spacing x y z,
  direction columns) and the expected label volume [z][y][x] per segment (z sorted along the slice normal);
  fractional voxels count as inside when stored value >= 0.5 * MaximumFractionalValue.
Run: python3 tests/reference/io/seg_fixtures.py
"""
import json
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import pack_bits
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

ROOT = Path(__file__).resolve().parents[3]
SEG_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
REFERENCED_SERIES = "1.2.826.0.1.3680043.8.498.10001"


def item(**kw):
    ds = Dataset()
    for k, v in kw.items():
        setattr(ds, k, v)
    return ds


def base(uid_suffix, rows, columns, n_frames):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SEG_CLASS
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.2" + uid_suffix
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SEG_CLASS
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "SEG"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.3" + uid_suffix
    ds.FrameOfReferenceUID = "1.2.826.0.1.3680043.8.498.4"
    ds.Rows = rows
    ds.Columns = columns
    ds.NumberOfFrames = n_frames
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelRepresentation = 0
    ds.ReferencedSeriesSequence = Sequence([item(SeriesInstanceUID=REFERENCED_SERIES)])
    return ds


def segment_item(number, label):
    return item(SegmentNumber=number, SegmentLabel=label, SegmentAlgorithmType="MANUAL")


def geometry(orientation, spacing_rc, slice_spacing, position0):
    row = np.array(orientation[:3], float)
    col = np.array(orientation[3:], float)
    normal = np.cross(row, col)
    direction = np.stack([row, col, normal], axis=1)  # columns = x, y, z axis directions
    return {
        "origin": [float(v) for v in position0],
        "spacing": [spacing_rc[1], spacing_rc[0], slice_spacing],
        "direction": [float(v) for v in direction.ravel()],
    }, normal


def two_segments(rng):
    rows, columns, n_slices = 5, 7, 4
    orientation = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    spacing_rc = [0.8, 0.6]
    position0 = np.array([12.0, -4.0, -10.0])
    geo, normal = geometry(orientation, spacing_rc, 2.5, position0)
    labels = {1: rng.integers(0, 2, size=(n_slices, rows, columns)), 2: np.zeros((n_slices, rows, columns), int)}
    labels[2][0] = rng.integers(0, 2, size=(rows, columns))
    labels[2][3] = rng.integers(0, 2, size=(rows, columns))
    frames = [(2, 3), (1, 2), (1, 0), (2, 0), (1, 3), (1, 1)]  # (segment, slice), deliberately out of order
    ds = base("1", rows, columns, len(frames))
    ds.BitsAllocated = 1
    ds.BitsStored = 1
    ds.HighBit = 0
    ds.SegmentationType = "BINARY"
    ds.SegmentSequence = Sequence([segment_item(1, "Tumour"), segment_item(2, "Edema")])
    ds.SharedFunctionalGroupsSequence = Sequence(
        [
            item(
                PlaneOrientationSequence=Sequence([item(ImageOrientationPatient=orientation)]),
                PixelMeasuresSequence=Sequence(
                    [item(PixelSpacing=spacing_rc, SliceThickness=2.5, SpacingBetweenSlices=2.5)]
                ),
            )
        ]
    )
    per_frame = []
    pixels = []
    for segment, k in frames:
        position = position0 + k * 2.5 * normal
        per_frame.append(
            item(
                PlanePositionSequence=Sequence([item(ImagePositionPatient=[float(v) for v in position])]),
                SegmentIdentificationSequence=Sequence([item(ReferencedSegmentNumber=segment)]),
            )
        )
        pixels.append(labels[segment][k])
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = pack_bits(np.stack(pixels).astype(np.uint8))
    return ds, geo, {str(s): labels[s].tolist() for s in (1, 2)}


def fractional(rng):
    rows, columns, n_slices = 4, 6, 3
    orientation = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0]
    spacing_rc = [1.5, 0.5]
    position0 = np.array([30.0, -20.0, 40.0])
    geo, normal = geometry(orientation, spacing_rc, 2.0, position0)
    values = rng.integers(0, 201, size=(n_slices, rows, columns))
    values[0, 0, 0] = 100  # exactly the threshold: inside
    values[0, 0, 1] = 99  # just below: outside
    ds = base("2", rows, columns, n_slices)
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.SegmentationType = "FRACTIONAL"
    ds.SegmentationFractionalType = "PROBABILITY"
    ds.MaximumFractionalValue = 200
    ds.SegmentSequence = Sequence([segment_item(1, "Lesion")])
    ds.SharedFunctionalGroupsSequence = Sequence(
        [
            item(
                PlaneOrientationSequence=Sequence([item(ImageOrientationPatient=orientation)]),
                PixelMeasuresSequence=Sequence([item(PixelSpacing=spacing_rc, SliceThickness=2.0)]),
                SegmentIdentificationSequence=Sequence([item(ReferencedSegmentNumber=1)]),
            )
        ]
    )
    order = [2, 1, 0]
    per_frame = []
    for k in order:
        position = position0 + k * 2.0 * normal
        per_frame.append(
            item(PlanePositionSequence=Sequence([item(ImagePositionPatient=[float(v) for v in position])]))
        )
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = np.stack([values[k] for k in order]).astype(np.uint8).tobytes()
    return ds, geo, {"1": (values >= 100).astype(int).tolist()}


def main():
    rng = np.random.default_rng(20251126)
    out_dir = ROOT / "tests" / "data" / "io"
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {"source": "pydicom " + pydicom.__version__, "referenced_series_uid": REFERENCED_SERIES}
    for name, build in (("seg_two_segments", two_segments), ("seg_fractional", fractional)):
        ds, geo, labels = build(rng)
        ds.save_as(out_dir / f"{name}.dcm", enforce_file_format=True)
        result[name] = {"geometry": geo, "labels": labels}
    Path(__file__).with_name("seg_fixtures.json").write_text(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
