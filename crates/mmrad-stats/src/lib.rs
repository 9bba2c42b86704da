//! mmrad-stats: ranks, distributions, tests, correlation, folds and the IRLS logistic core; no file IO.
