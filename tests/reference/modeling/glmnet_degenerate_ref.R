# Degenerate inputs for mmrad-modeling's binomial LASSO against glmnet (issue 9's numerical robustness):
#   separable  : n = 40, p = 6, y = 1 exactly when x1 > 0 (complete separation: glmnet stops the path at dev.ratio 0.999)
#   collinear  : n = 50, p = 6, x2 = x1, x3 = 2 x1 + 1 (exactly collinear), x4 constant, x5 and x6 noise
# Run from this folder: Rscript glmnet_degenerate_ref.R   (glmnet 4.1.x from Debian r-cran-glmnet). Writes
# degenerate_<name>.csv (data) and degenerate_<name>_path.csv (lambda, a0, dev.ratio, df, linear predictor per case
# and the coefficients of every column per step).
suppressPackageStartupMessages(library(glmnet))
THRESH <- 1e-22
fmt <- function(v) sprintf("%.17g", v)
set.seed(9)
sep_x <- matrix(round(rnorm(40 * 6), 3), 40, 6, dimnames = list(NULL, paste0("x", 1:6)))
sep_y <- as.integer(sep_x[, 1] > 0)
col_x <- matrix(round(rnorm(50 * 6), 3), 50, 6, dimnames = list(NULL, paste0("x", 1:6)))
col_x[, 2] <- col_x[, 1]
col_x[, 3] <- 2 * col_x[, 1] + 1
col_x[, 4] <- 3.5
col_y <- rbinom(50, 1, plogis(1.2 * col_x[, 1] + 0.5 * col_x[, 5]))
for (case in list(list("separable", sep_x, sep_y), list("collinear", col_x, col_y))) {
  name <- case[[1]]; x <- case[[2]]; y <- case[[3]]
  d <- data.frame(y = y, x)
  for (j in 2:ncol(d)) d[[j]] <- fmt(d[[j]])
  write.csv(d, sprintf("degenerate_%s.csv", name), row.names = FALSE, quote = FALSE)
  fit <- glmnet(x, y, family = "binomial", thresh = THRESH, maxit = 1e8)
  lp <- predict(fit, newx = x, type = "link")
  beta <- as.matrix(fit$beta)
  out <- data.frame(step = seq_along(fit$lambda), lambda = fmt(fit$lambda), a0 = fmt(as.numeric(fit$a0)),
                    dev_ratio = fmt(fit$dev.ratio), df = as.integer(fit$df))
  for (j in seq_len(nrow(beta))) out[[paste0("b_", rownames(beta)[j])]] <- fmt(beta[j, ])
  for (i in seq_len(nrow(x))) out[[paste0("lp", i)]] <- fmt(lp[i, ])
  write.csv(out, sprintf("degenerate_%s_path.csv", name), row.names = FALSE, quote = FALSE)
}
