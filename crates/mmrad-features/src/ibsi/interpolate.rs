//! IBSI image and ROI interpolation: a grid aligned on the centre of the input grid, `⌈n·s/s'⌉` voxels per axis,
//! (tri)linear interpolation of intensities (rounded to integers when the input holds integers, as IBSI asks for
//! CT), and of the ROI indicator kept where it reaches the partial-volume threshold 0.5.
//!
//! PyRadiomics mode aligns the new grid at the origin corner instead (SimpleITK); that is `mmrad_image::resample`.

use mmrad_core::{Geometry, LabelMap, Volume};
use ndarray::Array3;

/// The new grid: per axis (x, y, z), the number of voxels; new index `j` lies at input index
/// `(j·target + shift)/spacing` (mm arithmetic first, one division last, so that exact half-voxel positions, where
/// the ROI's partial-volume threshold ties, stay exact).
struct Grid {
    size: [usize; 3],
    shift: [f64; 3],
    target: [f64; 3],
    source: [f64; 3],
    geometry: Geometry,
}

fn grid(geometry: &Geometry, size_xyz: [usize; 3], spacing: [f64; 3]) -> Grid {
    let mut size = size_xyz;
    let mut shift_mm = [0.0; 3];
    let mut target = [1.0; 3];
    let mut source = [1.0; 3];
    let mut new_spacing = geometry.spacing;
    let mut origin = geometry.origin;
    for k in 0..3 {
        // 0 keeps the axis as it is (PyRadiomics' convention for `resampledPixelSpacing`).
        if spacing[k] <= 0.0 || size_xyz[k] == 0 {
            continue;
        }
        let (n, s, t) = (size_xyz[k] as f64, geometry.spacing[k], spacing[k]);
        let n_new = (n * s / t - 1e-9).ceil().max(1.0);
        // Centre alignment: the new grid's centre is the old grid's centre.
        let shift = -((n_new - 1.0) * t - (n - 1.0) * s) / 2.0;
        size[k] = n_new as usize;
        shift_mm[k] = shift;
        target[k] = t;
        source[k] = s;
        new_spacing[k] = t;
        for (r, o) in origin.iter_mut().enumerate() {
            *o += geometry.direction[r * 3 + k] * shift;
        }
    }
    Grid {
        size,
        shift: shift_mm,
        target,
        source,
        geometry: Geometry {
            spacing: new_spacing,
            origin,
            ..geometry.clone()
        },
    }
}

/// Linear interpolation of `data` (z, y, x) on the new grid; positions outside the input take the nearest edge.
fn linear(data: &Array3<f64>, g: &Grid) -> Array3<f64> {
    let (nz, ny, nx) = data.dim();
    let n = [nx, ny, nz];
    let axis = |k: usize, j: usize| {
        let u = ((j as f64 * g.target[k] + g.shift[k]) / g.source[k]).clamp(0.0, (n[k] - 1) as f64);
        let lo = (u.floor() as usize).min(n[k] - 1);
        let hi = (lo + 1).min(n[k] - 1);
        (lo, hi, u - lo as f64)
    };
    let xs: Vec<_> = (0..g.size[0]).map(|j| axis(0, j)).collect();
    let ys: Vec<_> = (0..g.size[1]).map(|j| axis(1, j)).collect();
    let zs: Vec<_> = (0..g.size[2]).map(|j| axis(2, j)).collect();
    Array3::from_shape_fn((g.size[2], g.size[1], g.size[0]), |(z, y, x)| {
        let (z0, z1, wz) = zs[z];
        let (y0, y1, wy) = ys[y];
        let (x0, x1, wx) = xs[x];
        let along_x = |zz: usize, yy: usize| data[[zz, yy, x0]] * (1.0 - wx) + data[[zz, yy, x1]] * wx;
        let along_y = |zz: usize| along_x(zz, y0) * (1.0 - wy) + along_x(zz, y1) * wy;
        along_y(z0) * (1.0 - wz) + along_y(z1) * wz
    })
}

/// The image and the ROI of `label` on IBSI's centre-aligned grid with `spacing` (x, y, z; 0 keeps an axis): the
/// image interpolated linearly, or with `bspline` by ITK's cubic B-spline (`mmrad_image::resample_volume`, IBSI's
/// "tricubic spline"); the ROI always linearly, as IBSI configures it.
///
/// # Errors
/// A singular direction matrix (B-spline only).
pub fn interpolate(
    image: &Volume,
    mask: &LabelMap,
    label: i64,
    spacing: [f64; 3],
    bspline: bool,
) -> Result<(Volume, LabelMap), mmrad_image::ImageError> {
    let (nz, ny, nx) = image.data.dim();
    let g = grid(&image.geometry, [nx, ny, nz], spacing);
    let mut data = if bspline {
        mmrad_image::resample_volume(
            image,
            &g.geometry,
            (g.size[2], g.size[1], g.size[0]),
            mmrad_image::Interpolator::BSpline,
            mmrad_image::OutputCast::Float,
        )?
        .data
    } else {
        linear(&image.data, &g)
    };
    // IBSI rounds where the intensities are integers by nature (CT in HU), whatever the file stores: the IBSI CT
    // phantom is a float32 file of whole HU values, and its reference values need the rounding.
    if image.data.iter().all(|v| v.fract() == 0.0) {
        data.mapv_inplace(f64::round);
    }
    let indicator = mask.data.mapv(|l| f64::from(u8::from(l == label)));
    // Ties at exactly 0.5 are in (IBSI: fraction >= 0.5); the margin absorbs rounding of the weights.
    let roi = linear(&indicator, &g).mapv(|v| if v >= 0.5 - 1e-9 { label } else { 0 });
    Ok((
        Volume::new(data, g.geometry.clone()),
        LabelMap::new(roi, g.geometry),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn centre_aligned_grid_and_linear_values() {
        // 4 voxels of 1 mm along x holding 0, 1, 2, 3 resampled to 3 mm: ⌈4/3⌉ = 2 voxels, centred on the old
        // centre 1.5: positions 0 and 3 (old index), values 0 and 3; the origin moves by -(1·3 − 3·1)/2 = 0.
        let image = Volume::new(
            Array3::from_shape_fn((1, 1, 4), |(_, _, x)| x as f64),
            Geometry::identity(),
        );
        let mask = LabelMap::new(Array3::from_elem((1, 1, 4), 1), Geometry::identity());
        let (out, roi) = interpolate(&image, &mask, 1, [3.0, 0.0, 0.0], false).unwrap();
        assert_eq!(out.data.iter().copied().collect::<Vec<_>>(), [0.0, 3.0]);
        assert_eq!(out.geometry.origin, [0.0, 0.0, 0.0]);
        assert!(roi.data.iter().all(|&l| l == 1));
        // 2 mm: ⌈4/2⌉ = 2 voxels at old positions 0.5 and 2.5 -> 0.5 and 2.5, rounded (integer input, half away
        // from zero) to 1 and 3. Origin shift -(1·2 − 3)/2 = 0.5.
        let (out, _) = interpolate(&image, &mask, 1, [2.0, 0.0, 0.0], false).unwrap();
        assert_eq!(out.data.iter().copied().collect::<Vec<_>>(), [1.0, 3.0]);
        assert_eq!(out.geometry.origin, [0.5, 0.0, 0.0]);
    }
}
