"""Reference values for mmrad-stats, computed with numpy / scipy / statsmodels (independent of mmrad).

Run from this folder: `python3 make_reference.py` (writes `reference.json`). The dataset itself is generated
here with a fixed numpy seed and stored in the JSON, so the Rust tests do not depend on numpy's generator.
Floats are written by `json.dump`, i.e. Python's shortest round-trip `repr`.
"""

import json
import platform

import numpy as np
import pandas as pd
import scipy
import scipy.stats as st
import statsmodels
import statsmodels.api as sm

rng = np.random.default_rng(20251126)

# Liang-shaped cohort: n = 89 with 28 events; three covariates, one binary, one with ties.
n, events = 89, 28
y = np.zeros(n)
y[rng.choice(n, events, replace=False)] = 1.0
x1 = rng.normal(0.0, 1.0, n) + 0.9 * y
x2 = np.round(rng.normal(50.0, 10.0, n) - 4.0 * y, 0)  # integer-valued: many ties
x3 = (rng.uniform(size=n) < 0.35 + 0.25 * y).astype(float)
offset = 0.3 * rng.normal(size=n)
weights = rng.integers(1, 4, n).astype(float)

design = np.column_stack([np.ones(n), x1, x2, x3])

out = {
    "versions": {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
    },
    "data": {
        "y": y.tolist(),
        "x1": x1.tolist(),
        "x2": x2.tolist(),
        "x3": x3.tolist(),
        "offset": offset.tolist(),
        "weights": weights.tolist(),
    },
}

# Logistic regression: statsmodels Logit (Newton) and GLM (IRLS) converged tightly.
logit = sm.Logit(y, design).fit(method="newton", tol=1e-14, maxiter=200, disp=False)
glm = sm.GLM(y, design, family=sm.families.Binomial()).fit(tol=1e-14, maxiter=200)
out["logistic_plain"] = {
    "coef": logit.params.tolist(),
    "bse": logit.bse.tolist(),
    "cov": logit.cov_params().tolist(),
    "loglik": float(logit.llf),
    "deviance": float(glm.deviance),
    "glm_coef": glm.params.tolist(),
    "glm_bse": glm.bse.tolist(),
}
glm_offset = sm.GLM(y, design, family=sm.families.Binomial(), offset=offset).fit(tol=1e-14, maxiter=200)
out["logistic_offset"] = {
    "coef": glm_offset.params.tolist(),
    "bse": glm_offset.bse.tolist(),
    "deviance": float(glm_offset.deviance),
    "loglik": float(glm_offset.llf),
}
# Frequency weights: the same as repeating each row w times.
glm_weighted = sm.GLM(y, design, family=sm.families.Binomial(), freq_weights=weights).fit(tol=1e-14, maxiter=200)
out["logistic_weighted"] = {
    "coef": glm_weighted.params.tolist(),
    "bse": glm_weighted.bse.tolist(),
    "deviance": float(glm_weighted.deviance),
}

# Ranks (scipy rankdata, average ties).
out["ranks_x2"] = st.rankdata(x2, method="average").tolist()

# Two-sample tests between events and non-events.
def mwu(a, b):
    r = st.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
    return {"u": float(r.statistic), "p": float(r.pvalue)}

def welch(a, b):
    r = st.ttest_ind(a, b, equal_var=False)
    return {"t": float(r.statistic), "p": float(r.pvalue), "df": float(r.df)}

ev, ne = y == 1, y == 0
small_a = [1.0, 2.0, 2.0, 3.0, 7.0]
small_b = [2.0, 2.0, 4.0, 5.0, 5.0, 6.0, 8.0, 9.0, 9.0, 9.0, 10.0, 11.0]
out["tests"] = [
    {"name": "x1", "x": x1[ev].tolist(), "y": x1[ne].tolist(), "mwu": mwu(x1[ev], x1[ne]), "welch": welch(x1[ev], x1[ne])},
    {"name": "x2_ties", "x": x2[ev].tolist(), "y": x2[ne].tolist(), "mwu": mwu(x2[ev], x2[ne]), "welch": welch(x2[ev], x2[ne])},
    {"name": "x3_binary", "x": x3[ev].tolist(), "y": x3[ne].tolist(), "mwu": mwu(x3[ev], x3[ne]), "welch": welch(x3[ev], x3[ne])},
    {"name": "small_unbalanced", "x": small_a, "y": small_b, "mwu": mwu(small_a, small_b), "welch": welch(small_a, small_b)},
]

# Correlation.
out["correlation"] = {
    "pearson_x1_x2": float(st.pearsonr(x1, x2).statistic),
    "spearman_x1_x2": float(st.spearmanr(x1, x2).statistic),
    "spearman_x2_x3": float(st.spearmanr(x2, x3).statistic),
}

# Distributions.
zs = [-8.0, -3.5, -1.959963984540054, -0.3, 0.0, 0.7, 1.959963984540054, 2.5, 6.0]
ps = [1e-12, 1e-5, 0.001, 0.025, 0.1, 0.5, 0.8, 0.975, 0.999, 1 - 1e-9]
chi = [(0.5, 1.0), (3.84, 1.0), (12.0, 8.0), (15.5, 8.0), (40.0, 8.0), (2.0, 3.5), (100.0, 20.0)]
ts = [(0.5, 3.0), (2.1, 10.0), (-1.3, 55.5), (4.0, 87.0), (7.5, 12.3)]
out["normal"] = [{"x": z, "cdf": float(st.norm.cdf(z)), "sf": float(st.norm.sf(z))} for z in zs]
out["normal_quantile"] = [{"p": p, "q": float(st.norm.ppf(p))} for p in ps]
out["chi2_sf"] = [{"x": x, "df": d, "sf": float(st.chi2.sf(x, d))} for x, d in chi]
out["t_sf"] = [{"t": t, "df": d, "sf": float(st.t.sf(t, d))} for t, d in ts]

# Quantiles, type 7 (numpy "linear").
qs = [0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0]
out["quantiles_x1"] = {"q": qs, "values": np.quantile(x1, qs, method="linear").tolist()}

# Intraclass correlation (pingouin.intraclass_corr): 30 subjects x 3 raters with a rater bias, and the
# Shrout & Fleiss (1979) table 2 example (6 subjects x 4 judges).
import pingouin  # noqa: E402

out["versions"]["pingouin"] = pingouin.__version__
subject = rng.normal(10.0, 2.0, 30)
ratings = np.column_stack([subject + rng.normal(0.0, 0.8, 30) + bias for bias in (0.0, 0.5, -0.3)])
shrout_fleiss = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
out["icc"] = []
for name, matrix in [("simulated", ratings), ("shrout_fleiss", shrout_fleiss)]:
    n, k = matrix.shape
    long = pd.DataFrame({"subject": np.repeat(np.arange(n), k), "rater": np.tile(np.arange(k), n),
                         "value": matrix.ravel()})
    table = pingouin.intraclass_corr(long, targets="subject", raters="rater", ratings="value").set_index("Type")
    entry = {"name": name, "ratings": matrix.tolist()}
    types = {"ICC1": "ICC(1,1)", "ICC2": "ICC(A,1)", "ICC3": "ICC(C,1)",
             "ICC1k": "ICC(1,k)", "ICC2k": "ICC(A,k)", "ICC3k": "ICC(C,k)"}  # pingouin 0.7 (McGraw & Wong) names
    for t, label in types.items():
        row = table.loc[label]
        entry[t] = {"icc": float(row["ICC"]), "f": float(row["F"]), "df1": float(row["df1"]),
                    "df2": float(row["df2"]), "p": float(row["pval"])}
    out["icc"].append(entry)

with open("reference.json", "w") as f:
    json.dump(out, f, indent=1)
print("wrote reference.json")
