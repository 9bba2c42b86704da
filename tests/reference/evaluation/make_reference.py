"""Reference values for mmrad-evaluation from scikit-learn / statsmodels / scipy / pandas, plus an independent
numpy implementation of fast DeLong (Sun & Xu 2014, IEEE SPL 21:1389).

Reads `data.csv` (from `make_data.py`), writes `reference_python.json`. Floats are Python's shortest round-trip
`repr` (json.dump). Run from this folder: `python3 make_reference.py`.
"""

import json
import platform

import numpy as np
import pandas as pd
import scipy
import scipy.stats as st
import sklearn
import statsmodels
import statsmodels.api as sm
from sklearn.metrics import brier_score_loss, confusion_matrix, roc_auc_score
from statsmodels.stats.proportion import proportion_confint

Z = st.norm.ppf(0.975)  # 1.959963984540054
CLIP = 1e-15
GROUPS = 10
THRESHOLDS = [0.3, 0.5]  # confusion metrics, positive when score >= threshold
NB_THRESHOLDS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]  # decision curve


def midrank(x):
    """Mid-ranks (1-based) by explicit sorting, as in Sun & Xu's reference code."""
    order = np.argsort(x, kind="mergesort")
    z = x[order]
    n = len(x)
    t = np.zeros(n)
    i = 0
    while i < n:
        j = i
        while j < n and z[j] == z[i]:
            j += 1
        t[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = t
    return out


def fast_delong(scores, y):
    """AUCs and DeLong covariance for a (k, n) array of score rows; y is 0/1."""
    pos, neg = scores[:, y == 1], scores[:, y == 0]
    m, n = pos.shape[1], neg.shape[1]
    k = scores.shape[0]
    tx = np.array([midrank(r) for r in pos])
    ty = np.array([midrank(r) for r in neg])
    tz = np.array([midrank(r) for r in np.hstack([pos, neg])])
    aucs = tz[:, :m].sum(axis=1) / m / n - (m + 1.0) / 2.0 / n
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    sx = np.atleast_2d(np.cov(v01))
    sy = np.atleast_2d(np.cov(v10))
    return aucs, sx / m + sy / n


def calibration(p, y):
    lp = np.log(np.clip(p, CLIP, 1 - CLIP) / (1 - np.clip(p, CLIP, 1 - CLIP)))
    n = len(y)
    itl = sm.GLM(y, np.ones((n, 1)), family=sm.families.Binomial(), offset=lp).fit(tol=1e-14, maxiter=200)
    free = sm.Logit(y, np.column_stack([np.ones(n), lp])).fit(method="newton", tol=1e-14, maxiter=200, disp=False)
    return float(itl.params[0]), float(free.params[0]), float(free.params[1])


def calibration_table(p, y, groups):
    bins = pd.qcut(p, groups, labels=False, duplicates="drop")
    frame = pd.DataFrame({"p": p, "y": y, "bin": bins})
    table = []
    for _, g in frame.groupby("bin", sort=True):
        n, events = len(g), int(g["y"].sum())
        lo, hi = proportion_confint(events, n, alpha=0.05, method="wilson")
        table.append({
            "n": n, "events": events, "mean_predicted": float(g["p"].mean()),
            "observed_rate": events / n, "lo": float(lo), "hi": float(hi),
        })
    return table


def hosmer_lemeshow(table):
    stat = 0.0
    for g in table:
        expected = np.clip(g["mean_predicted"], CLIP, 1 - CLIP) * g["n"]
        stat += (g["events"] - expected) ** 2 / (expected * (1 - expected / g["n"]))
    df = len(table) - 2
    return float(stat), df, float(st.chi2.sf(stat, df))


def confusion(p, y, t):
    tn, fp, fn, tp = confusion_matrix(y, (p >= t).astype(float), labels=[0, 1]).ravel()
    return {"threshold": t, "tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn),
            "sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp),
            "ppv": tp / (tp + fp) if tp + fp else None, "npv": tn / (tn + fn) if tn + fn else None}


def net_benefit(p, y, t):
    n = len(y)
    tp = np.sum((p >= t) & (y == 1))
    fp = np.sum((p >= t) & (y == 0))
    prev = y.mean()
    return {"threshold": t, "model": float(tp / n - fp / n * t / (1 - t)),
            "treat_all": float(prev - (1 - prev) * t / (1 - t))}


def spread(v):
    q = np.quantile(v, [0.025, 0.975])
    return {"mean": float(np.mean(v)), "sd": float(np.std(v, ddof=1)), "min": float(v.min()), "max": float(v.max()),
            "q025": float(q[0]), "q975": float(q[1])}


data = pd.read_csv("data.csv")
out = {
    "versions": {
        "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
        "sklearn": sklearn.__version__, "statsmodels": statsmodels.__version__, "pandas": pd.__version__,
    },
    "z": float(Z),
    "groups": GROUPS,
    "datasets": {},
}
for name, frame in data.groupby("dataset", sort=False):
    y = frame["y"].to_numpy().astype(float)
    entry = {"n": len(y), "events": int(y.sum()), "scores": {}}
    for score in ["a", "b"]:
        p = frame[score].to_numpy()
        aucs, cov = fast_delong(p[None, :], y)
        var = float(cov[0, 0])
        auc = float(roc_auc_score(y, p))
        brier = float(brier_score_loss(y, p))
        rate = y.mean()
        ci, cf, cs = calibration(p, y)
        table = calibration_table(p, y, GROUPS)
        hl_stat, hl_df, hl_p = hosmer_lemeshow(table)
        entry["scores"][score] = {
            "auc": auc, "auc_delong_numpy": float(aucs[0]), "auc_var": var,
            "auc_lo": max(0.0, auc - Z * np.sqrt(var)), "auc_hi": min(1.0, auc + Z * np.sqrt(var)),
            "brier": brier, "brier_scaled": float(1 - brier / (rate * (1 - rate))),
            "cal_intercept": ci, "cal_intercept_free": cf, "cal_slope": cs,
            "calibration_table": table, "hl_stat": hl_stat, "hl_df": hl_df, "hl_p": hl_p,
            "thresholds": [confusion(p, y, t) for t in THRESHOLDS],
            "net_benefit": [net_benefit(p, y, t) for t in NB_THRESHOLDS],
            "spread": spread(p),
        }
    both = np.vstack([frame["a"].to_numpy(), frame["b"].to_numpy()])
    aucs, cov = fast_delong(both, y)
    diff = float(aucs[0] - aucs[1])
    z = diff / np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    entry["paired"] = {"auc_a": float(aucs[0]), "auc_b": float(aucs[1]), "diff": diff, "z": float(z),
                       "p": float(2 * st.norm.sf(abs(z)))}
    out["datasets"][name] = entry

with open("reference_python.json", "w") as f:
    json.dump(out, f, indent=1, allow_nan=False)  # undefined ratios are null
print("wrote reference_python.json")
