"""Independent reference for mmrad-io: parses NRRD and NIfTI-1 files with numpy only (no mmrad code).

Writes io_reference.tsv: one line per (file, key) with whitespace-separated values:
size (x y z), spacing (x y z), origin (x y z, LPS), direction (row-major, columns = axis directions, LPS),
sum, min, max, and `voxel` lines `i j k value` for a few voxels given in (x, y, z) index order.
Run: python3 tests/reference/io/io_reference.py /work/shared/data
"""
import gzip
import struct
import sys
from pathlib import Path

import numpy as np

NRRD_TYPES = {"short": "i2", "int": "i4", "unsigned short": "u2", "unsigned char": "u1", "float": "f4", "double": "f8"}


def read_nrrd(path):
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n\n")
    fields = {}
    for line in head.decode().splitlines()[1:]:
        if line.startswith("#") or ": " not in line:
            continue
        k, v = line.split(": ", 1)
        fields[k] = v.strip()
    sizes = [int(s) for s in fields["sizes"].split()]
    dtype = np.dtype(NRRD_TYPES[fields["type"]]).newbyteorder("<" if fields.get("endian", "little") == "little" else ">")
    data = gzip.decompress(body) if fields["encoding"] == "gzip" else body
    arr = np.frombuffer(data, dtype=dtype, count=int(np.prod(sizes))).reshape(sizes[::-1])  # [z, y, x]
    vecs = [np.array([float(x) for x in tok.strip("()").split(",")]) for tok in fields["space directions"].split()]
    assert fields["space"] == "left-posterior-superior"
    spacing = [np.linalg.norm(v) for v in vecs]
    direction = np.stack([v / np.linalg.norm(v) for v in vecs], axis=1)  # columns = axes
    origin = [float(x) for x in fields["space origin"].strip("()").split(",")]
    return arr.astype(np.float64), sizes, spacing, origin, direction


def read_nifti(path):
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    hdr = raw[:348]
    endian = "<" if struct.unpack("<i", hdr[:4])[0] == 348 else ">"
    dim = struct.unpack(endian + "8h", hdr[40:56])
    datatype = struct.unpack(endian + "h", hdr[70:72])[0]
    pixdim = struct.unpack(endian + "8f", hdr[76:108])
    vox_offset = int(struct.unpack(endian + "f", hdr[108:112])[0])
    slope, inter = struct.unpack(endian + "2f", hdr[112:120])
    qform_code, sform_code = struct.unpack(endian + "2h", hdr[252:256])
    b, c, d, qx, qy, qz = struct.unpack(endian + "6f", hdr[256:280])
    srow = np.array(struct.unpack(endian + "12f", hdr[280:328]), dtype=np.float64).reshape(3, 4)
    types = {2: "u1", 4: "i2", 8: "i4", 16: "f4", 64: "f8", 256: "i1", 512: "u2", 768: "u4"}
    n = dim[0]
    sizes = [int(s) for s in dim[1 : 1 + n]] + [1] * (3 - n)
    arr = np.frombuffer(raw, dtype=np.dtype(types[datatype]).newbyteorder(endian), count=int(np.prod(sizes)), offset=vox_offset)
    arr = arr.reshape(sizes[:3][::-1]).astype(np.float64)  # Fortran x-fastest -> C [z, y, x]
    if slope not in (0.0,) and not (slope == 1.0 and inter == 0.0):
        arr = arr * slope + inter
    m = srow[:, :3]
    norms = np.linalg.norm(m, axis=0)
    rot_s = m / norms if np.all(norms > 0) else None
    # ITK >= 5.2: a SCANNER_ANAT sform with an orthonormal rotation wins; then the qform; then any sform.
    if sform_code == 1 and rot_s is not None and np.allclose(rot_s.T @ rot_s, np.eye(3), atol=1e-4):
        rot, spacing, origin = rot_s, list(norms), srow[:, 3]
    elif qform_code > 0:
        a = np.sqrt(max(0.0, 1.0 - (b * b + c * c + d * d)))
        # Rotation from the quaternion (a, b, c, d), NIfTI-1 standard (nifti1.h comments).
        rot = np.array(
            [
                [a * a + b * b - c * c - d * d, 2 * b * c - 2 * a * d, 2 * b * d + 2 * a * c],
                [2 * b * c + 2 * a * d, a * a + c * c - b * b - d * d, 2 * c * d - 2 * a * b],
                [2 * b * d - 2 * a * c, 2 * c * d + 2 * a * b, a * a + d * d - c * c - b * b],
            ]
        )
        qfac = -1.0 if pixdim[0] < 0 else 1.0
        rot[:, 2] *= qfac
        spacing = [abs(p) for p in pixdim[1:4]]
        origin = np.array([qx, qy, qz])
    elif sform_code > 0:
        m = srow[:, :3]
        spacing = list(np.linalg.norm(m, axis=0))
        rot = m / np.array(spacing)
        origin = srow[:, 3]
    else:
        rot = np.eye(3)
        spacing = [abs(p) for p in pixdim[1:4]]
        origin = np.zeros(3)
    flip = np.diag([-1.0, -1.0, 1.0])  # RAS -> LPS as ITK
    return arr, sizes, spacing, list(flip @ origin), flip @ rot, (qform_code, sform_code)


def emit(out, name, arr, sizes, spacing, origin, direction):
    fmt = lambda xs: " ".join(repr(float(x)) for x in xs)
    out.append(f"{name}\tsize\t{' '.join(str(s) for s in sizes[:3])}")
    out.append(f"{name}\tspacing\t{fmt(spacing)}")
    out.append(f"{name}\torigin\t{fmt(origin)}")
    out.append(f"{name}\tdirection\t{fmt(np.asarray(direction).reshape(-1))}")
    out.append(f"{name}\tsum\t{float(arr.sum())!r}")
    out.append(f"{name}\tmin\t{float(arr.min())!r}")
    out.append(f"{name}\tmax\t{float(arr.max())!r}")
    nz, ny, nx = arr.shape
    for (x, y, z) in [(0, 0, 0), (nx - 1, ny - 1, nz - 1), (nx // 2, ny // 3, nz // 2), (nx // 3, ny // 2, nz - 1)]:
        out.append(f"{name}\tvoxel\t{x} {y} {z} {float(arr[z, y, x])!r}")


def main(shared):
    shared = Path(shared)
    out = []
    for p in sorted((shared / "pyradiomics").glob("*.nrrd")):
        arr, sizes, spacing, origin, direction = read_nrrd(p)
        emit(out, f"pyradiomics/{p.name}", arr, sizes, spacing, origin, direction)
    for rel in [
        "ibsi/ibsi_1_digital_phantom/nifti/image/phantom.nii.gz",
        "ibsi/ibsi_1_digital_phantom/nifti/mask/mask.nii.gz",
        "ibsi/ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz",
        "ibsi/ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz",
        "ibsi_validation_sts/nifti/STS_001/CT_image.nii.gz",
        "ibsi_validation_sts/nifti/STS_001/CT_mask.nii.gz",
        "ibsi_validation_sts/nifti/STS_001/PET_image.nii.gz",
    ]:
        arr, sizes, spacing, origin, direction, codes = read_nifti(shared / rel)
        print(rel, "qform/sform codes", codes, file=sys.stderr)
        emit(out, rel, arr, sizes, spacing, origin, direction)
    Path(__file__).with_name("io_reference.tsv").write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data")
