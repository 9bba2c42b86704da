"""Reference values for mmrad-modeling's gaussian LASSO (scikit-learn) and logistic Wald/Firth fits (statsmodels,
scipy). Run from this folder: python3 sklearn_ref.py. Inputs: lasso_p40.csv, lasso_p400.csv, clinical.csv,
separated.csv (make_data.py). Numbers are written with repr() (shortest round-trip).
"""
import numpy as np
import pandas as pd
import scipy
import sklearn
import statsmodels
import statsmodels.api as sm
from scipy.optimize import minimize
from sklearn.linear_model import Lasso, LassoCV
from sklearn.model_selection import PredefinedSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def write(df, path):
    with open(path, "w") as f:
        f.write(",".join(df.columns) + "\n")
        for row in df.itertuples(index=False):
            f.write(",".join(repr(float(v)) if isinstance(v, (float, np.floating)) else str(v) for v in row) + "\n")


with open("sklearn_versions.txt", "w") as f:
    f.write(f"scikit-learn {sklearn.__version__}\nstatsmodels {statsmodels.__version__}\nscipy {scipy.__version__}\n"
            f"numpy {np.__version__}\n")

TIGHT = dict(tol=1e-14, max_iter=10_000_000)
for p in (40, 400):
    d = pd.read_csv(f"lasso_p{p}.csv")
    y = d["y"].to_numpy(float)
    foldid = d["foldid"].to_numpy()
    x = d.drop(columns=["y", "foldid"]).to_numpy(float)
    # (a) raw columns, LassoCV with the committed folds
    cv = LassoCV(cv=PredefinedSplit(foldid), **TIGHT).fit(x, y)
    rows = [dict(step=k + 1, alpha=a, mse=m) for k, (a, m) in enumerate(zip(cv.alphas_, cv.mse_path_.mean(axis=1)))]
    write(pd.DataFrame(rows), f"sklearn_p{p}_raw_cv.csv")
    write(pd.DataFrame([dict(term="(Intercept)", coef=cv.intercept_)] +
                       [dict(term=f"x{j + 1}", coef=c) for j, c in enumerate(cv.coef_)]), f"sklearn_p{p}_raw_cvcoef.csv")
    write(pd.DataFrame([dict(alpha_best=cv.alpha_)]), f"sklearn_p{p}_raw_cvpick.csv")
    # (b) StandardScaler then LassoCV (what radiomics papers run); coefficients mapped to the original scale
    pipe = make_pipeline(StandardScaler(), LassoCV(cv=PredefinedSplit(foldid), **TIGHT)).fit(x, y)
    sc, lcv = pipe[0], pipe[1]
    coef = lcv.coef_ / sc.scale_
    b0 = lcv.intercept_ - np.sum(coef * sc.mean_)
    rows = [dict(step=k + 1, alpha=a, mse=m) for k, (a, m) in enumerate(zip(lcv.alphas_, lcv.mse_path_.mean(axis=1)))]
    write(pd.DataFrame(rows), f"sklearn_p{p}_std_cv.csv")
    write(pd.DataFrame([dict(term="(Intercept)", coef=b0)] +
                       [dict(term=f"x{j + 1}", coef=c) for j, c in enumerate(coef)]), f"sklearn_p{p}_std_cvcoef.csv")
    write(pd.DataFrame([dict(alpha_best=lcv.alpha_)]), f"sklearn_p{p}_std_cvpick.csv")
    # (c) Lasso at fixed alphas on standardised columns, coefficients on the original scale
    xs = sc.transform(x)
    rows = []
    for a in (lcv.alphas_[5], lcv.alphas_[20], lcv.alphas_[40]):
        m = Lasso(alpha=a, **TIGHT).fit(xs, y)
        c = m.coef_ / sc.scale_
        rows.append(dict(alpha=a, term="(Intercept)", coef=m.intercept_ - np.sum(c * sc.mean_)))
        rows += [dict(alpha=a, term=f"x{j + 1}", coef=v) for j, v in enumerate(c)]
    write(pd.DataFrame(rows), f"sklearn_p{p}_std_fixed.csv")

# statsmodels Logit: coefficients, SE, Wald z, p, 95% CI
cl = pd.read_csv("clinical.csv")
terms = ["age", "er", "pr", "her2", "ki67", "ct", "noise"]
X = sm.add_constant(cl[terms].to_numpy(float))
res = sm.Logit(cl["y"].to_numpy(float), X).fit(method="newton", tol=1e-14, maxiter=200, disp=0)
ci = res.conf_int(alpha=0.05)
write(pd.DataFrame(dict(term=["(Intercept)"] + terms, coef=res.params, se=res.bse, z=res.tvalues, p=res.pvalues,
                        lo=ci[:, 0], hi=ci[:, 1], odds_ratio=np.exp(res.params), or_lo=np.exp(ci[:, 0]),
                        or_hi=np.exp(ci[:, 1]))), "statsmodels_logit_clinical.csv")


# Firth-penalised logistic regression (Heinze & Schemper 2002) by direct maximisation of the penalised
# log-likelihood l(b) + 0.5 log det I(b) with BFGS (a different algorithm from the modified-score Newton iteration)
def firth_objective(b, X, y):
    eta = X @ b
    ll = np.sum(y * eta - np.logaddexp(0.0, eta))
    w = 1.0 / (1.0 + np.exp(-eta))
    w = w * (1.0 - w)
    sign, logdet = np.linalg.slogdet(X.T @ (X * w[:, None]))
    return -(ll + 0.5 * logdet)


def firth_fit(X, y, fixed=None):
    """Maximises the penalised log-likelihood; `fixed` = (index, value) holds one coefficient fixed."""
    free = [j for j in range(X.shape[1]) if fixed is None or j != fixed[0]]

    def full(bf):
        b = np.zeros(X.shape[1])
        b[free] = bf
        if fixed is not None:
            b[fixed[0]] = fixed[1]
        return b

    r = minimize(lambda bf: firth_objective(full(bf), X, y), np.zeros(len(free)), method="BFGS",
                 options=dict(gtol=1e-11, maxiter=100000))
    r = minimize(lambda bf: firth_objective(full(bf), X, y), r.x, method="Nelder-Mead",
                 options=dict(xatol=1e-13, fatol=1e-15, maxiter=200000, maxfev=200000))
    return full(r.x), -r.fun


sep = pd.read_csv("separated.csv")
Xs = sm.add_constant(sep[["x1", "x2"]].to_numpy(float))
ys = sep["y"].to_numpy(float)
b, pll = firth_fit(Xs, ys)
eta = Xs @ b
w = 1.0 / (1.0 + np.exp(-eta))
w = w * (1.0 - w)
cov = np.linalg.inv(Xs.T @ (Xs * w[:, None]))
se = np.sqrt(np.diag(cov))
# profile penalised-likelihood limits (logistf's default CI): 2 (pll_max − pll(b_j fixed)) = qchisq(0.95, 1)
q = scipy.stats.chi2.ppf(0.95, 1)
los, his = [], []
for j in range(3):
    f = lambda t: 2.0 * (pll - firth_fit(Xs, ys, fixed=(j, t))[1]) - q
    los.append(scipy.optimize.brentq(f, b[j] - 10 * se[j], b[j], xtol=1e-12))
    his.append(scipy.optimize.brentq(f, b[j], b[j] + 10 * se[j], xtol=1e-12))
write(pd.DataFrame(dict(term=["(Intercept)", "x1", "x2"], coef=b, se=se, profile_lo=los, profile_hi=his)),
      "firth_separated.csv")
write(pd.DataFrame([dict(penalised_loglik=pll)]), "firth_separated_fit.csv")
