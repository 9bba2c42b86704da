//! Grey-level discretisation of the ROI (PyRadiomics `binWidth`/`binCount` semantics).
//!
//! Fixed bin width (PyRadiomics `imageoperations.getBinEdges`): edges are `numpy.arange(low, max + 2w, w)` with
//! `low = min - (min mod w)` (Python's floor modulo), so edges are anchored at 0; a flat ROI whose minimum is a
//! multiple of `w` gets the edges `[low - 0.5, low + 0.5]`. Fixed bin count: the edges of
//! `numpy.histogram(values, binCount)` with the last edge raised by 1. Voxels are then binned with
//! `numpy.digitize` (bin `i` holds `edges[i-1] <= x < edges[i]`). The arithmetic reproduces numpy's
//! (`arange` fills `start + i·((start + step) − start)`, `linspace` computes `i·step + start`).

use ndarray::{Array3, ArrayView3, Zip};

use crate::{FeatureError, Result};

/// A discretised, cropped ROI: what every texture feature class is computed from.
///
/// `grey[[z, y, x]]` holds the 1-based bin index (1..=`n_levels`) of voxels inside the ROI and 0 outside.
/// `n_levels` is PyRadiomics' `Ng`: the highest bin index found inside the ROI (lower bins may be empty), so
/// matrices are `n_levels` wide and empty grey levels are dropped by each class as PyRadiomics does.
/// `spacing` is `(x, y, z)` in mm, as in `mmrad_core::Geometry`.
#[derive(Debug, Clone, PartialEq)]
pub struct Discretised {
    pub grey: Array3<u32>,
    pub mask: Array3<bool>,
    pub n_levels: u32,
    pub spacing: [f64; 3],
}

/// How grey levels are binned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binning {
    /// Fixed bin width (`binWidth`), edges anchored at 0.
    Width(f64),
    /// Fixed number of bins between the ROI minimum and maximum (`binCount`).
    Count(usize),
}

/// Discretises the ROI voxels of `image` (those where `mask` is true).
///
/// # Errors
/// Shape mismatch between image and mask, an empty ROI, non-finite ROI values, or an invalid bin width/count.
pub fn discretise(
    image: ArrayView3<'_, f64>,
    mask: ArrayView3<'_, bool>,
    spacing: [f64; 3],
    binning: Binning,
) -> Result<Discretised> {
    if image.dim() != mask.dim() {
        return Err(FeatureError::Shape {
            what: "image and mask".into(),
            expected: format!("{:?}", image.dim()),
            found: format!("{:?}", mask.dim()),
        });
    }
    let values: Vec<f64> = Zip::from(&image).and(&mask).fold(Vec::new(), |mut acc, &v, &m| {
        if m {
            acc.push(v);
        }
        acc
    });
    let edges = bin_edges(&values, binning)?;
    let mut grey = Array3::<u32>::zeros(image.dim());
    let mut n_levels = 0_u32;
    Zip::from(&mut grey).and(&image).and(&mask).for_each(|g, &v, &m| {
        if m {
            *g = digitize(v, &edges);
            n_levels = n_levels.max(*g);
        }
    });
    Ok(Discretised {
        grey,
        mask: mask.to_owned(),
        n_levels,
        spacing,
    })
}

/// Python's float modulo (result has the sign of the divisor), as `numpy.remainder`.
pub(crate) fn py_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        m + b
    } else {
        m
    }
}

/// Bin edges for the ROI values, as PyRadiomics `getBinEdges`.
///
/// # Errors
/// [`FeatureError::EmptyRoi`] for no values, [`FeatureError::NonFinite`] for NaN/∞ values, and
/// [`FeatureError::InvalidSetting`] for a bin width <= 0 or a bin count of 0.
pub fn bin_edges(values: &[f64], binning: Binning) -> Result<Vec<f64>> {
    if values.is_empty() {
        return Err(FeatureError::EmptyRoi { label: None });
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err(FeatureError::NonFinite {
            what: "ROI intensities".into(),
        });
    }
    let minimum = values.iter().copied().fold(f64::INFINITY, f64::min);
    let maximum = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match binning {
        Binning::Width(width) => {
            if !(width.is_finite() && width > 0.0) {
                return Err(FeatureError::InvalidSetting {
                    name: "binWidth",
                    value: width.to_string(),
                    expected: "a finite value > 0",
                });
            }
            let low = minimum - py_mod(minimum, width);
            let high = maximum + 2.0 * width;
            let length = ((high - low) / width).ceil();
            if !(1.0..1.0e8).contains(&length) {
                return Err(FeatureError::InvalidSetting {
                    name: "binWidth",
                    value: width.to_string(),
                    expected: "a width giving fewer than 1e8 bins",
                });
            }
            let length = length as usize;
            let mut edges = Vec::with_capacity(length);
            edges.push(low);
            if length > 1 {
                let second = low + width;
                let delta = second - low;
                edges.push(second);
                for i in 2..length {
                    edges.push(low + i as f64 * delta);
                }
            }
            if edges.len() == 1 {
                let e = edges[0];
                edges = vec![e - 0.5, e + 0.5];
            }
            Ok(edges)
        }
        Binning::Count(count) => {
            if count == 0 {
                return Err(FeatureError::InvalidSetting {
                    name: "binCount",
                    value: "0".into(),
                    expected: "an integer >= 1",
                });
            }
            let (first, last) = if minimum == maximum {
                (minimum - 0.5, maximum + 0.5)
            } else {
                (minimum, maximum)
            };
            let step = (last - first) / count as f64;
            let mut edges: Vec<f64> = (0..=count).map(|i| i as f64 * step + first).collect();
            if let Some(top) = edges.last_mut() {
                *top = last + 1.0;
            }
            Ok(edges)
        }
    }
}

/// `numpy.digitize(value, edges)` for increasing edges: the number of edges `<= value`.
pub fn digitize(value: f64, edges: &[f64]) -> u32 {
    edges.partition_point(|&e| e <= value) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(values: &[f64], binning: Binning, expected: &[f64]) {
        assert_eq!(bin_edges(values, binning).unwrap(), expected);
    }

    #[test]
    fn edges_match_pyradiomics_doc_examples() {
        // PyRadiomics getBinEdges docstring: values 54..166, width 25 -> 50, 75, ..., 175 (plus the extra top edge).
        check(
            &[54.0, 100.0, 166.0],
            Binning::Width(25.0),
            &[50.0, 75.0, 100.0, 125.0, 150.0, 175.0, 200.0],
        );
        // Negative minimum: floor modulo anchors at -1025 for -1001.
        check(
            &[-1001.0, -990.0],
            Binning::Width(25.0),
            &[-1025.0, -1000.0, -975.0, -950.0],
        );
        // Flat region: the +2w upper bound always leaves at least one full bin.
        check(&[50.0, 50.0], Binning::Width(25.0), &[50.0, 75.0]);
        check(&[10.0, 10.0], Binning::Width(5000.0), &[0.0, 5000.0, 10000.0]);
        // Bin count: numpy.histogram edges with the top edge raised by 1.
        check(&[0.0, 4.0], Binning::Count(4), &[0.0, 1.0, 2.0, 3.0, 5.0]);
        check(&[3.0, 3.0], Binning::Count(2), &[2.5, 3.0, 4.5]);
    }

    #[test]
    fn digitize_is_half_open() {
        let edges = [50.0, 75.0, 100.0];
        assert_eq!(digitize(50.0, &edges), 1);
        assert_eq!(digitize(74.999, &edges), 1);
        assert_eq!(digitize(75.0, &edges), 2);
        assert_eq!(digitize(100.0, &edges), 3);
    }

    #[test]
    fn degenerate_input_is_an_error() {
        assert!(matches!(
            bin_edges(&[], Binning::Width(25.0)),
            Err(FeatureError::EmptyRoi { .. })
        ));
        assert!(matches!(
            bin_edges(&[f64::NAN], Binning::Width(25.0)),
            Err(FeatureError::NonFinite { .. })
        ));
        assert!(matches!(
            bin_edges(&[1.0], Binning::Count(0)),
            Err(FeatureError::InvalidSetting { .. })
        ));
    }
}
