"""Reference values for mmrad-selection on lasso_p40.csv: scipy Mann-Whitney U (asymptotic, continuity corrected)
and Welch t p values per column, and a numpy greedy correlation pruning (|r| > 0.6, keep the column more associated
with the outcome, visiting columns by decreasing |point-biserial r|). Run: python3 selection_ref.py.
"""
import numpy as np
import pandas as pd
from scipy import stats

d = pd.read_csv("lasso_p40.csv")
y = d["y"].to_numpy(float)
x = d.drop(columns=["y", "foldid"])
rows = []
for name in x.columns:
    v = x[name].to_numpy(float)
    mw = stats.mannwhitneyu(v[y == 1], v[y == 0], alternative="two-sided", use_continuity=True, method="asymptotic")
    wt = stats.ttest_ind(v[y == 1], v[y == 0], equal_var=False)
    rows.append((name, mw.pvalue, wt.pvalue, abs(np.corrcoef(v, y)[0, 1])))
with open("selection_univariate.csv", "w") as f:
    f.write("term,p_mann_whitney,p_welch,abs_r_outcome\n")
    for r in rows:
        f.write(f"{r[0]},{float(r[1])!r},{float(r[2])!r},{float(r[3])!r}\n")

X = x.to_numpy(float)
R = np.corrcoef(X, rowvar=False)
assoc = np.array([r[3] for r in rows])
order = sorted(range(X.shape[1]), key=lambda j: (-assoc[j], j))
kept = []
for j in order:
    if all(abs(R[j, k]) <= 0.6 for k in kept):
        kept.append(j)
with open("selection_correlation_0.6.csv", "w") as f:
    f.write("term\n")
    for j in sorted(kept):
        f.write(f"{x.columns[j]}\n")
