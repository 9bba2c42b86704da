"""Writes crates/mmrad-image/src/filters/wavelet_coefficients.rs: the decomposition filters of every discrete wavelet of
PyWavelets (MIT licence), in double precision as `pywt.Wavelet(name).dec_lo/.dec_hi` return them, and in single
precision as PyWavelets' float32 kernels use them. PyWavelets keeps separate float tables (float literals in
pywt/_extensions/c/wavelets_coeffs.template.h), which are not always the double values rounded to float (coif1's
0.852572020211600 is 0.85257196f there, not 0.852572f), so the float filters are read back from PyWavelets itself: the
single-level float32 `swt` of a unit impulse returns each filter tap exactly (tap × 1 plus zeros).

    /tmp/pyref_np1/bin/python tests/reference/wavelets/gen_wavelet_coefficients.py > crates/mmrad-image/src/filters/wavelet_coefficients.rs
"""
import numpy as np
import pywt


def float_filters(w):
    taps = w.dec_len
    n = 2 * taps + 2
    pos = taps
    impulse = np.zeros(n, dtype=np.float32)
    impulse[pos] = 1
    (ca, cd), = pywt.swt(impulse, w, level=1, trim_approx=False)
    assert ca.dtype == np.float32
    lo = np.zeros(taps, dtype=np.float32)
    hi = np.zeros(taps, dtype=np.float32)
    half = taps // 2
    # out[o] = sum_j f[j] * x[(o + F/2 - j) mod n], x = impulse at `pos`: tap j lands at o = (pos + j - F/2) mod n.
    for j in range(taps):
        o = (pos + j - half) % n
        lo[j] = ca[o]
        hi[j] = cd[o]
    # Cross-check: within float32 rounding of the double filters.
    assert np.allclose(lo, w.dec_lo, rtol=1e-6, atol=1e-7) and np.allclose(hi, w.dec_hi, rtol=1e-6, atol=1e-7), w.name
    return lo, hi


def fmt(values):
    return ", ".join(repr(float(v)) for v in values)


print("//! Decomposition filters of PyWavelets' discrete wavelets (generated; do not edit).")
print("//!")
print(f"//! Source: PyWavelets {pywt.__version__} (MIT licence): `pywt.Wavelet(name).dec_lo` / `.dec_hi` (double), and the")
print("//! float32 filters of its float kernels read back with a unit impulse; written by")
print("//! `tests/reference/wavelets/gen_wavelet_coefficients.py`.")
print()
print("/// `(name, dec_lo, dec_hi, dec_lo as float32, dec_hi as float32)` for every `pywt.wavelist(kind='discrete')` name,")
print("/// in PyWavelets' order.")
print("#[rustfmt::skip]")
print("#[allow(clippy::approx_constant, clippy::excessive_precision, clippy::unreadable_literal, clippy::type_complexity)]")
print("pub(crate) const WAVELETS: &[(&str, &[f64], &[f64], &[f32], &[f32])] = &[")
for name in pywt.wavelist(kind='discrete'):
    w = pywt.Wavelet(name)
    lo32, hi32 = float_filters(w)
    print(f'    ("{name}", &[{fmt(w.dec_lo)}], &[{fmt(w.dec_hi)}], &[{fmt(lo32)}], &[{fmt(hi32)}]),')
print("];")
