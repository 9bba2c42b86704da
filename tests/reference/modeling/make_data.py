"""Generates the committed input datasets of the modeling references (deterministic, numpy seed 20251126).

lasso_p40.csv / lasso_p400.csv: n = 89 cases, 28 events, correlated blocks of 10 columns (within-block r ~ 0.6),
a few informative columns, very different column scales and offsets (to exercise standardisation and the
back-transform), plus a stratified 10-fold `foldid` column (1-based, as cv.glmnet takes it).
clinical.csv: n = 89, age, er, pr, her2, ki67, ct and an outcome drawn from a logistic model.
separated.csv: a small data set where `x1` separates the outcome perfectly (Firth / separation tests).
Numbers are written with repr(), the shortest round-trip representation.
"""
import numpy as np

rng = np.random.default_rng(20251126)


def write(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(repr(float(v)) if not isinstance(v, (int, np.integer)) else str(int(v)) for v in r) + "\n")


def stratified_foldid(y, k):
    foldid = np.zeros(len(y), dtype=int)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        idx = rng.permutation(idx)
        start = rng.integers(k)
        for j, i in enumerate(idx):
            foldid[i] = (start + j) % k + 1
    return foldid


n, events = 89, 28
y = np.zeros(n, dtype=int)
y[rng.choice(n, events, replace=False)] = 1
foldid = stratified_foldid(y, 10)
yc = y - y.mean()


def lasso_x(p):
    n_blocks = p // 10
    x = np.empty((n, p))
    for b in range(n_blocks):
        z = rng.standard_normal(n)
        for j in range(10):
            x[:, b * 10 + j] = np.sqrt(0.6) * z + np.sqrt(0.4) * rng.standard_normal(n)
    # informative columns: shifts in standard-deviation units
    shifts = {0: 1.1, 11: -0.9, 22: 0.7, 5: 0.5, 33: -0.6}
    for j, d in shifts.items():
        x[:, j] += d * yc
    scales = 10.0 ** rng.uniform(-1.0, 2.0, p)
    offsets = rng.normal(0.0, 50.0, p)
    return x * scales + offsets


for p in (40, 400):
    x = lasso_x(p)
    header = ["y", "foldid"] + [f"x{j + 1}" for j in range(p)]
    write(f"lasso_p{p}.csv", header, [[int(y[i]), int(foldid[i])] + list(x[i]) for i in range(n)])

# clinical
age = np.round(rng.normal(50, 10, n))
er = rng.binomial(1, 0.6, n)
pr = rng.binomial(1, 0.5, n)
her2 = rng.binomial(1, 0.3, n)
ki67 = np.round(rng.uniform(5, 80, n))
ct = rng.integers(1, 5, n)
lp = -1.5 + 0.01 * (age - 50) - 0.3 * er + 1.2 * pr + 1.6 * her2 + 0.02 * (ki67 - 40) - 0.6 * (ct - 2.5)
yy = rng.binomial(1, 1 / (1 + np.exp(-lp)))
noise = rng.normal(0, 1, n)
write("clinical.csv", ["y", "age", "er", "pr", "her2", "ki67", "ct", "noise"],
      [[int(yy[i]), age[i], int(er[i]), int(pr[i]), int(her2[i]), ki67[i], int(ct[i]), noise[i]] for i in range(n)])

# separation: x1 > 0 exactly when y = 1 (complete separation); x2 noise
m = 30
ys = np.array([0] * 15 + [1] * 15)
x1 = np.where(ys == 1, rng.uniform(0.1, 2.0, m), rng.uniform(-2.0, -0.1, m))
x2 = rng.normal(0, 1, m)
write("separated.csv", ["y", "x1", "x2"], [[int(ys[i]), x1[i], x2[i]] for i in range(m)])
