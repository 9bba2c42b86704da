"""Independent reference for mmrad-io's DICOM SEG reader: decodes `liver.dcm` with pydicom (no mmrad code).

Writes seg_liver.json: rows, columns, pixel spacing, orientation, the segments (number, label, voxel count), and per
frame (in file order) the referenced segment number, ImagePositionPatient, the number of set pixels, and the sums of
the flat in-frame indices (row * columns + column) and of their squares over the set pixels (an exact checksum of
the pixel positions).
Run: python3 tests/reference/io/seg_liver.py /work/shared/data
"""
import json
import sys
from pathlib import Path

import numpy as np
import pydicom


def main():
    shared = Path(sys.argv[1])
    ds = pydicom.dcmread(shared / "pydicom" / "liver.dcm")
    frames = ds.pixel_array  # (frames, rows, columns), 0/1
    if frames.ndim == 2:
        frames = frames[None]
    shared_groups = ds.SharedFunctionalGroupsSequence[0]
    orientation = [float(v) for v in shared_groups.PlaneOrientationSequence[0].ImageOrientationPatient]
    spacing = [float(v) for v in shared_groups.PixelMeasuresSequence[0].PixelSpacing]
    out_frames = []
    counts = {}
    for k, group in enumerate(ds.PerFrameFunctionalGroupsSequence):
        segment = int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        position = [float(v) for v in group.PlanePositionSequence[0].ImagePositionPatient]
        flat = np.flatnonzero(frames[k].astype(np.int64).ravel())
        out_frames.append(
            {
                "segment": segment,
                "position": position,
                "count": int(flat.size),
                "index_sum": int(flat.sum()),
                "index_square_sum": int((flat * flat).sum()),
            }
        )
        counts[segment] = counts.get(segment, 0) + int(flat.size)
    segments = [
        {"number": int(s.SegmentNumber), "label": str(s.SegmentLabel), "count": counts.get(int(s.SegmentNumber), 0)}
        for s in ds.SegmentSequence
    ]
    result = {
        "source": "pydicom " + pydicom.__version__ + " pixel_array of pydicom/liver.dcm",
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "pixel_spacing": spacing,
        "orientation": orientation,
        "segmentation_type": str(ds.SegmentationType),
        "referenced_series_uid": str(ds.ReferencedSeriesSequence[0].SeriesInstanceUID),
        "segments": segments,
        "frames": out_frames,
    }
    out = Path(__file__).with_name("seg_liver.json")
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
