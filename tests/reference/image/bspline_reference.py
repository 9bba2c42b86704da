"""Independent reference for mmrad-image cubic B-spline interpolation: scipy.ndimage.map_coordinates(order=3,
mode='mirror') on a deterministic 5x6x7 volume (ITK's BSplineInterpolateImageFunction uses the same mirror-boundary
cubic B-spline; ITK truncates its causal initialisation at 1e-10, so agreement is ~1e-9).
Writes bspline_reference.tsv: lines `x y z value` (continuous index in x, y, z order).
Volume: v[z, y, x] = sin(0.7 x) + cos(0.4 y) * (z + 1) + 0.05 x y.
"""
from pathlib import Path

import numpy as np
from scipy import ndimage

z, y, x = np.meshgrid(np.arange(5), np.arange(6), np.arange(7), indexing="ij")
vol = np.sin(0.7 * x) + np.cos(0.4 * y) * (z + 1) + 0.05 * x * y
rng = np.random.default_rng(7)
pts = np.column_stack([rng.uniform(-0.49, 6.49, 40), rng.uniform(-0.49, 5.49, 40), rng.uniform(-0.49, 4.49, 40)])
pts = np.vstack([pts, [[0, 0, 0], [6, 5, 4], [3, 2, 1], [2.5, 2.5, 2.5], [5.999999999, 0.5, 3.0]]])
vals = ndimage.map_coordinates(vol, [pts[:, 2], pts[:, 1], pts[:, 0]], order=3, mode="mirror")
lines = [f"{float(px)!r} {float(py)!r} {float(pz)!r} {float(v)!r}" for (px, py, pz), v in zip(pts, vals)]
Path(__file__).with_name("bspline_reference.tsv").write_text("\n".join(lines) + "\n")
