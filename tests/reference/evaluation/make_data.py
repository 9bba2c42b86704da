"""Datasets for the mmrad-evaluation references: writes `data.csv` (dataset, case, y, a, b).

Scores are rounded to few decimals so that (1) they contain ties, (2) every reader (numpy, R, Rust) parses the
same doubles. Run first, then `make_reference.py` and `make_reference.R`.
"""

import numpy as np

rng = np.random.default_rng(11)
rows = []


def add(name, y, a, b):
    for i, (yi, ai, bi) in enumerate(zip(y, a, b)):
        rows.append((name, i, int(yi), repr(float(ai)), repr(float(bi))))


def outcome(n, events):
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, events, replace=False)] = 1
    return y


def expit(t):
    return 1.0 / (1.0 + np.exp(-t))


# 1. Liang-shaped: n = 89, 28 events, two correlated models (a better than b), ties from rounding.
y = outcome(89, 28)
latent = rng.normal(size=89)
a = np.round(expit(-1.0 + 1.6 * y + 0.9 * latent + 0.5 * rng.normal(size=89) - 0.4), 3)
b = np.round(expit(-0.9 + 0.9 * y + 0.9 * latent + 0.9 * rng.normal(size=89) - 0.2), 2)
add("liang", y, a, b)

# 2. Unbalanced: n = 150, 12 events, overconfident predictions (slope < 1).
y = outcome(150, 12)
a = np.round(expit(-3.2 + 3.0 * y + 1.8 * rng.normal(size=150)), 4)
b = np.round(expit(-2.5 + 1.2 * y + 1.0 * rng.normal(size=150)), 4)
add("unbalanced", y, a, b)

# 3. Ordinal: five risk levels only (heavy ties; quantile groups collapse).
y = outcome(60, 20)
levels = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
a = levels[np.clip(np.round(1.5 + 1.2 * y + rng.normal(size=60)).astype(int), 0, 4)]
b = levels[np.clip(np.round(1.8 + 0.6 * y + rng.normal(size=60)).astype(int), 0, 4)]
add("ordinal", y, a, b)

# 4. Extremes: predictions of exactly 0 and 1 (clipped to [1e-15, 1 - 1e-15] for logits), not separated.
y = outcome(40, 15)
a = np.round(expit(-0.8 + 1.5 * y + 1.2 * rng.normal(size=40)), 3)
a[np.flatnonzero(y == 0)[:2]] = 0.0
a[np.flatnonzero(y == 1)[:2]] = 1.0
a[np.flatnonzero(y == 1)[2]] = 0.0  # an event predicted at 0 keeps the recalibration fit finite
b = np.round(expit(-0.6 + 0.8 * y + 1.2 * rng.normal(size=40)), 3)
add("extremes", y, a, b)

# 5. Near perfect: AUC close to 1 with few cases, so the upper DeLong limit is clipped at 1 (as pROC does).
y = outcome(30, 10)
a = np.round(expit(-2.0 + 2.5 * y + 1.0 * rng.normal(size=30)), 3)
b = np.round(expit(-1.0 + 2.0 * y + 1.0 * rng.normal(size=30)), 3)
add("near_perfect", y, a, b)

with open("data.csv", "w") as f:
    f.write("dataset,case,y,a,b\n")
    for r in rows:
        f.write(",".join(str(v) for v in r) + "\n")
print(f"wrote data.csv ({len(rows)} rows)")
