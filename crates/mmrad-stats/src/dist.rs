//! Distribution functions: standard normal cdf, survival and quantile; chi-square and Student t survival.
//!
//! The normal functions use `libm::erfc` (the FreeBSD msun port, error below one ulp; statrs' `erfc` is off by
//! about 1e-12 near the 97.5 % point, too much for exact confidence limits). The quantile starts from statrs'
//! `erfc_inv` and takes one Halley step on the cdf, so `normal_quantile(0.975)` is `1.959963984540054` to the
//! last digit.
//! Chi-square and t survival functions are statrs' regularised incomplete gamma / beta.

use libm::erfc;
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};
use statrs::function::erf::erfc_inv;

use crate::{Error, Result};

/// `Φ(x) = P(Z ≤ x)` for a standard normal `Z`.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// `1 - Φ(x)`, accurate in the upper tail.
pub fn normal_sf(x: f64) -> f64 {
    0.5 * erfc(x / std::f64::consts::SQRT_2)
}

/// The standard normal density.
pub fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// `Φ⁻¹(p)`; `-∞` at 0 and `+∞` at 1.
///
/// # Errors
/// [`Error::InvalidArgument`] when `p` is outside `[0, 1]` or NaN.
///
/// # Examples
/// ```
/// let z = mmrad_stats::normal_quantile(0.975)?;
/// assert!((z - 1.959963984540054).abs() < 1e-15);
/// # Ok::<(), mmrad_stats::Error>(())
/// ```
pub fn normal_quantile(p: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::InvalidArgument {
            name: "p",
            value: p,
            reason: "must be in [0, 1]",
        });
    }
    if p == 0.0 {
        return Ok(f64::NEG_INFINITY);
    }
    if p == 1.0 {
        return Ok(f64::INFINITY);
    }
    let mut x = -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p);
    // One Halley step on f(x) = Φ(x) - p (f' = φ, f'' = -x φ); use the smaller tail for accuracy.
    let density = normal_pdf(x);
    if density > 0.0 {
        // Φ(x) - p, written as (1 - p) - (1 - Φ(x)) in the upper half where 1 - p is exact.
        let residual = if x > 0.0 {
            (1.0 - p) - normal_sf(x)
        } else {
            normal_cdf(x) - p
        };
        let newton = residual / density;
        x -= newton / (1.0 + 0.5 * x * newton);
    }
    Ok(x)
}

/// `P(X > x)` for `X ~ χ²(df)`; 1 for `x ≤ 0`.
///
/// # Errors
/// [`Error::InvalidArgument`] when `df` is not positive and finite.
pub fn chi2_sf(x: f64, df: f64) -> Result<f64> {
    let dist = ChiSquared::new(df).map_err(|_| Error::InvalidArgument {
        name: "df",
        value: df,
        reason: "must be > 0 and finite",
    })?;
    if x.is_nan() {
        return Err(Error::InvalidArgument {
            name: "x",
            value: x,
            reason: "must not be NaN",
        });
    }
    if x <= 0.0 {
        return Ok(1.0);
    }
    Ok(dist.sf(x))
}

/// `P(T > t)` for `T ~ t(df)`.
///
/// # Errors
/// [`Error::InvalidArgument`] when `df` is not positive or `t` is NaN.
pub fn t_sf(t: f64, df: f64) -> Result<f64> {
    let dist = StudentsT::new(0.0, 1.0, df).map_err(|_| Error::InvalidArgument {
        name: "df",
        value: df,
        reason: "must be > 0",
    })?;
    if t.is_nan() {
        return Err(Error::InvalidArgument {
            name: "t",
            value: t,
            reason: "must not be NaN",
        });
    }
    Ok(dist.sf(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_values() {
        // Φ(0) = 1/2 exactly; the 97.5 % quantile to the last printed digit (R qnorm(0.975)).
        assert_eq!(normal_cdf(0.0), 0.5);
        assert!((normal_quantile(0.975).unwrap() - 1.959963984540054).abs() <= 1e-15);
        assert!((normal_quantile(0.025).unwrap() + 1.959963984540054).abs() <= 1e-15);
        assert_eq!(normal_quantile(0.5).unwrap(), 0.0);
        // χ²(2) survival is exp(-x/2) in closed form; 1e-14 relative.
        let sf = chi2_sf(3.0, 2.0).unwrap();
        assert!((sf - (-1.5f64).exp()).abs() < 1e-14 * sf);
        // t(1) is Cauchy: P(T > 1) = 1/4.
        assert!((t_sf(1.0, 1.0).unwrap() - 0.25).abs() < 1e-14);
        assert!(normal_quantile(1.5).is_err());
        assert!(chi2_sf(1.0, 0.0).is_err());
    }
}
