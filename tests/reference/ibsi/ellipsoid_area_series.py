"""IBSI's ellipsoid surface-area series (reference manual, approximate enclosing ellipsoid area density):
A = 4 pi a b sum_{nu=0}^{20} (alpha beta)^nu / (1 - 4 nu^2) P_nu((alpha^2 + beta^2) / (2 alpha beta)),
alpha = sqrt(1 - b^2/a^2), beta = sqrt(1 - c^2/a^2), with scipy's Legendre polynomials; next to it the exact area
by numerical integration, to show that the series is IBSI's approximation, not the exact area.

Run: python3 tests/reference/ibsi/ellipsoid_area_series.py > tests/reference/ibsi/ellipsoid_area_series.txt
"""
import numpy as np
from scipy import integrate
from scipy.special import eval_legendre


def series(a, b, c):
    al = np.sqrt(1 - b * b / a / a)
    be = np.sqrt(1 - c * c / a / a)
    x = (al**2 + be**2) / (2 * al * be)
    return 4 * np.pi * a * b * sum((al * be) ** n / (1 - 4 * n * n) * eval_legendre(n, x) for n in range(21))


def exact(a, b, c):
    def f(t, p):
        return np.sqrt((b * c * np.sin(t) * np.cos(p)) ** 2 + (a * c * np.sin(t) * np.sin(p)) ** 2
                       + (a * b * np.cos(t)) ** 2) * np.sin(t)
    return integrate.dblquad(f, 0, 2 * np.pi, 0, np.pi)[0]


print("a,b,c,series,exact")
for axes in [(2.0, 1.5, 1.2), (5.7, 4.65, 4.27), (2.0, 1.0, 1.0)]:
    print(",".join(repr(float(v)) for v in (*axes, series(*axes), exact(*axes))))
