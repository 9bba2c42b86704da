"""Independent reference for mmrad-io's RTSTRUCT rasteriser (no mmrad code): the IBSI-1 CT phantom's `GTV-1`.

Reads the image series geometry with pydicom (slices sorted by ImagePositionPatient along the normal), maps every
CLOSED_PLANAR contour of ROI `GTV-1` into image indices, and tests each pixel centre of its slice with
matplotlib.path.Path.contains_points (radius 0); the contours of one slice are combined by XOR (even-odd rule).
Also compares the result with the shipped NIfTI mask (parsed with io_reference.read_nifti, numpy only).

Writes rtstruct_ibsi.json: size, per slice (z index in the sorted series) the voxel count and the sums of the flat
in-slice indices (y * columns + x) and of their squares (an exact checksum of the voxel positions), the total, and
the Dice / voxel differences against the NIfTI mask.
Run: python3 tests/reference/io/rtstruct_ibsi.py /work/shared/data
"""
import json
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pydicom
from matplotlib.path import Path as Polygon

sys.path.insert(0, str(Path(__file__).parent))
from io_reference import read_nifti  # noqa: E402


def main():
    shared = Path(sys.argv[1])
    phantom = shared / "ibsi" / "ibsi_1_ct_radiomics_phantom"
    slices = [pydicom.dcmread(p, stop_before_pixels=True) for p in sorted((phantom / "dicom" / "image").iterdir())]
    iop = np.array([float(v) for v in slices[0].ImageOrientationPatient])
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    slices.sort(key=lambda s: float(np.dot(normal, [float(v) for v in s.ImagePositionPatient])))
    origin = np.array([float(v) for v in slices[0].ImagePositionPatient])
    row_spacing, col_spacing = (float(v) for v in slices[0].PixelSpacing)
    positions = np.array([np.dot(normal, [float(v) for v in s.ImagePositionPatient]) for s in slices])
    slice_spacing = (positions[-1] - positions[0]) / (len(positions) - 1)
    nx, ny, nz = int(slices[0].Columns), int(slices[0].Rows), len(slices)
    # index = (D diag(spacing))^-1 (p - origin), D columns = row, col, normal.
    m = np.stack([row * col_spacing, col * row_spacing, normal * slice_spacing], axis=1)
    m_inv = np.linalg.inv(m)

    rs = pydicom.dcmread(phantom / "dicom" / "mask" / "DCM_RS_00060.dcm")
    number = next(int(r.ROINumber) for r in rs.StructureSetROISequence if r.ROIName == "GTV-1")
    roi = next(rc for rc in rs.ROIContourSequence if int(rc.ReferencedROINumber) == number)
    mask = np.zeros((nz, ny, nx), dtype=bool)
    yy, xx = np.mgrid[0:ny, 0:nx]
    centres = np.column_stack([xx.ravel(), yy.ravel()]).astype(float)
    for contour in roi.ContourSequence:
        if contour.ContourGeometricType != "CLOSED_PLANAR":
            continue
        points = np.array([float(v) for v in contour.ContourData]).reshape(-1, 3)
        index = (m_inv @ (points - origin).T).T
        z = int(round(float(index[:, 2].mean())))
        inside = Polygon(index[:, :2], closed=False).contains_points(centres).reshape(ny, nx)
        mask[z] ^= inside

    per_slice = []
    for z in range(nz):
        flat = np.flatnonzero(mask[z].ravel()).astype(np.int64)
        if flat.size:
            per_slice.append(
                {"z": z, "count": int(flat.size), "index_sum": int(flat.sum()), "index_square_sum": int((flat * flat).sum())}
            )

    nifti, sizes, *_ = read_nifti(phantom / "nifti" / "mask" / "mask.nii.gz")
    nifti = nifti > 0.5
    both = int((mask & nifti).sum())
    result = {
        "source": f"pydicom {pydicom.__version__}, matplotlib {matplotlib.__version__} Path.contains_points",
        "size_xyz": [nx, ny, nz],
        "total": int(mask.sum()),
        "slices": per_slice,
        "nifti_total": int(nifti.sum()),
        "nifti_size_xyz": sizes,
        "dice_vs_nifti": 2.0 * both / (int(mask.sum()) + int(nifti.sum())),
        "only_in_contours": int((mask & ~nifti).sum()),
        "only_in_nifti": int((~mask & nifti).sum()),
    }
    Path(__file__).with_name("rtstruct_ibsi.json").write_text(json.dumps(result, indent=1) + "\n")
    print({k: v for k, v in result.items() if k != "slices"})


if __name__ == "__main__":
    main()
