"""Signal check of the image-level synthetic cohort (scikit-learn, no mmrad code): how much outcome information the
radiomic features of each modality carry.

Input: a cohort folder written by `mmrad synth liang2025 --out DIR` and one feature CSV per modality extracted from
it with `mmrad extract --batch` (columns `case_id`, `pcr`, then features). Run:

    python3 tests/reference/synth/signal_check.py DIR CT=ct_features.csv MR=mr_features.csv ...

For each modality it prints the best univariate AUCs (max(AUC, 1 - AUC)) and the out-of-fold AUC of an L1 logistic
signature (standardised features, C chosen by inner 5-fold CV on log-loss, stratified 5-fold CV repeated 10 times,
AUC of the pooled out-of-fold scores averaged over repeats), a rough stand-in for the study's LASSO signature.
This is a diagnostic for tuning the generator, not a reference for any test.
"""
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def features_of(path):
    table = pd.read_csv(path)
    y = table["pcr"].to_numpy().astype(int)
    columns = [
        c for c in table.columns
        if c.startswith("original_") and pd.api.types.is_numeric_dtype(table[c]) and table[c].std() > 0
    ]
    return table[columns].to_numpy(dtype=float), y, columns


def signature_auc(x, y, repeats=10):
    aucs = []
    for repeat in range(repeats):
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=repeat)
        oof = np.zeros(len(y))
        for train, test in folds.split(x, y):
            model = make_pipeline(
                StandardScaler(),
                LogisticRegressionCV(Cs=20, cv=5, penalty="l1", solver="liblinear", scoring="neg_log_loss"),
            )
            model.fit(x[train], y[train])
            oof[test] = model.decision_function(x[test])
        aucs.append(roc_auc_score(y, oof))
    return float(np.mean(aucs)), float(np.std(aucs))


def main():
    warnings.filterwarnings("ignore")
    for arg in sys.argv[2:]:
        modality, path = arg.split("=", 1)
        x, y, columns = features_of(path)
        univariate = []
        for j, name in enumerate(columns):
            auc = roc_auc_score(y, x[:, j])
            univariate.append((max(auc, 1 - auc), name))
        univariate.sort(reverse=True)
        mean, sd = signature_auc(x, y)
        print(f"{modality}: {len(columns)} features, signature AUC {mean:.3f} (sd over repeats {sd:.3f})")
        for auc, name in univariate[:6]:
            print(f"    {auc:.3f}  {name}")


if __name__ == "__main__":
    main()
