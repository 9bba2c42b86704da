"""Reference for a Firth fit on which the modified-score iteration stalls: `firth_slow.csv` is the apparent-fit
fusion design (four rad-scores, 15 cases, separated) of a small synthetic image study. The penalised log-likelihood
l(b) + 0.5 log det I(b) is maximised directly with BFGS then Nelder-Mead (scipy), as in sklearn_ref.py.

Run from this folder: python3 firth_slow_ref.py  (writes firth_slow_ref.csv)."""
import numpy as np
import pandas as pd
from scipy.optimize import minimize


def objective(b, X, y):
    eta = X @ b
    ll = np.sum(y * eta - np.logaddexp(0.0, eta))
    w = 1.0 / (1.0 + np.exp(-eta))
    w = w * (1.0 - w)
    sign, logdet = np.linalg.slogdet(X.T @ (X * w[:, None]))
    return -(ll + 0.5 * logdet)


d = pd.read_csv("firth_slow.csv")
X = np.column_stack([np.ones(len(d)), d[["r1", "r2", "r3", "r4"]].to_numpy(float)])
y = d["y"].to_numpy(float)
r = minimize(objective, np.zeros(5), args=(X, y), method="BFGS", options=dict(gtol=1e-11, maxiter=100000))
r = minimize(objective, r.x, args=(X, y), method="Nelder-Mead",
             options=dict(xatol=1e-13, fatol=1e-15, maxiter=200000, maxfev=200000))
pd.DataFrame(dict(term=["(Intercept)", "r1", "r2", "r3", "r4"], coef=r.x, penalised_loglik=-r.fun)).to_csv(
    "firth_slow_ref.csv", index=False, float_format="%.17g")
