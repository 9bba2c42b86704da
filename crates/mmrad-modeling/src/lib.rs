//! mmrad-modeling: Params → check → Fitted estimators (standardiser, logistic, LASSO path, fusion, nomogram).
