"""Writes crates/mmrad-image/src/filters/wavelet_coefficients.rs: the decomposition filters (dec_lo, dec_hi) of every
discrete wavelet of PyWavelets (MIT licence), as PyWavelets' `Wavelet(name).dec_lo/.dec_hi` return them (double
precision; the tables of pywt/_extensions/c/wavelets_coeffs.template.h). Run with the oracle venv:

    /tmp/pyref_np1/bin/python tests/reference/wavelets/gen_wavelet_coefficients.py > crates/mmrad-image/src/filters/wavelet_coefficients.rs
"""
import pywt

print("//! Decomposition filters of PyWavelets' discrete wavelets (generated; do not edit).")
print("//!")
print(f"//! Source: PyWavelets {pywt.__version__} (MIT licence), `pywt.Wavelet(name).dec_lo` / `.dec_hi`, written by")
print("//! `tests/reference/wavelets/gen_wavelet_coefficients.py`.")
print()
print("/// `(name, dec_lo, dec_hi)` for every `pywt.wavelist(kind='discrete')` name, in PyWavelets' order.")
print("#[rustfmt::skip]")
print("#[allow(clippy::approx_constant, clippy::excessive_precision, clippy::unreadable_literal)]")
print("pub(crate) const WAVELETS: &[(&str, &[f64], &[f64])] = &[")
for name in pywt.wavelist(kind='discrete'):
    w = pywt.Wavelet(name)
    lo = ", ".join(repr(float(v)) for v in w.dec_lo)
    hi = ", ".join(repr(float(v)) for v in w.dec_hi)
    print(f'    ("{name}", &[{lo}], &[{hi}]),')
print("];")
