# Reference values for mmrad-modeling's binomial LASSO / elastic net (glmnet) and logistic regression (glm, MASS).
# Run from this folder: Rscript glmnet_ref.R   (glmnet 4.1.x from Debian r-cran-glmnet)
# Inputs: lasso_p40.csv, lasso_p400.csv, clinical.csv (made by make_data.py).
# Every number is written with 17 significant digits (round-trips exactly to the same double).
suppressPackageStartupMessages({ library(glmnet); library(MASS) })

# glmnet's default thresh (1e-7) stops ~1e-3 short of the optimum; thresh = 1e-14 still leaves KKT residuals of
# ~1e-5 (relative to lambda) near the saturated end of the p = 40 path, so the references use 1e-22 (residuals
# ~1e-8, at the floating-point floor).
THRESH <- 1e-22
fmt <- function(v) ifelse(is.na(v), "NA", sprintf("%.17g", v))
write_tab <- function(df, path) {
  for (j in seq_along(df)) if (is.numeric(df[[j]]) && !is.integer(df[[j]])) df[[j]] <- fmt(df[[j]])
  write.csv(df, path, row.names = FALSE, quote = FALSE)
}
cat("glmnet", as.character(packageVersion("glmnet")), "\n", file = "glmnet_versions.txt")
cat(R.version.string, "\n", file = "glmnet_versions.txt", append = TRUE)

for (p in c(40, 400)) {
  d <- read.csv(sprintf("lasso_p%d.csv", p))
  y <- d$y; foldid <- d$foldid
  x <- as.matrix(d[, -(1:2)])
  for (alpha in c(1, 0.5)) {
    tag <- sprintf("p%d_a%s", p, format(alpha))
    fit <- glmnet(x, y, family = "binomial", alpha = alpha, thresh = THRESH, maxit = 1e8)
    beta <- as.matrix(fit$beta)
    write_tab(data.frame(step = seq_along(fit$lambda), lambda = fit$lambda, a0 = as.numeric(fit$a0),
                         df = as.integer(fit$df), dev_ratio = fit$dev.ratio, nulldev = fit$nulldev),
              sprintf("glmnet_%s_path.csv", tag))
    nz <- which(beta != 0, arr.ind = TRUE)
    nz <- nz[order(nz[, 2], nz[, 1]), , drop = FALSE]
    write_tab(data.frame(step = as.integer(nz[, 2]), term = as.integer(nz[, 1]), coef = beta[nz]),
              sprintf("glmnet_%s_coef.csv", tag))
    # cross-validation with the committed fold ids (binomial deviance, cv.glmnet defaults otherwise)
    cvfit <- cv.glmnet(x, y, family = "binomial", alpha = alpha, foldid = foldid, thresh = THRESH, maxit = 1e8)
    write_tab(data.frame(step = seq_along(cvfit$lambda), lambda = cvfit$lambda, cvm = cvfit$cvm, cvsd = cvfit$cvsd,
                         nzero = as.integer(cvfit$nzero)), sprintf("glmnet_%s_cv.csv", tag))
    cmin <- as.numeric(coef(cvfit, s = "lambda.min")); c1se <- as.numeric(coef(cvfit, s = "lambda.1se"))
    write_tab(data.frame(term = c("(Intercept)", colnames(x)), coef_min = cmin, coef_1se = c1se),
              sprintf("glmnet_%s_cvcoef.csv", tag))
    write_tab(data.frame(lambda_min = cvfit$lambda.min, lambda_1se = cvfit$lambda.1se,
                         index_min = as.integer(match(cvfit$lambda.min, cvfit$lambda)),
                         index_1se = as.integer(match(cvfit$lambda.1se, cvfit$lambda))),
              sprintf("glmnet_%s_cvpick.csv", tag))
    # fold fits on the full-data lambda sequence: path length (a user-given sequence is never cut short)
    lens <- sapply(sort(unique(foldid)), function(k) {
      f <- glmnet(x[foldid != k, ], y[foldid != k], family = "binomial", alpha = alpha, lambda = fit$lambda,
                  thresh = THRESH, maxit = 1e8)
      length(f$lambda)
    })
    write_tab(data.frame(fold = sort(unique(foldid)), n_lambda = as.integer(lens)), sprintf("glmnet_%s_foldlen.csv", tag))
  }
}

# ---- unpenalised logistic regression on clinical.csv -------------------------------------------------------
cl <- read.csv("clinical.csv")
terms <- c("age", "er", "pr", "her2", "ki67", "ct", "noise")
ctrl <- glm.control(epsilon = 1e-15, maxit = 200)
g <- glm(y ~ age + er + pr + her2 + ki67 + ct + noise, data = cl, family = binomial, control = ctrl)
s <- summary(g)$coefficients
# exact profile-likelihood limits: root of D(b) - D_hat = qchisq(0.95, 1), each coefficient fixed via an offset
q <- qchisq(0.95, 1)
X <- model.matrix(g); yv <- cl$y
prof_dev <- function(j, b) {
  off <- X[, j] * b
  gg <- glm.fit(X[, -j, drop = FALSE], yv, offset = off, family = binomial(), control = ctrl)
  gg$deviance - g$deviance - q
}
lo <- hi <- numeric(ncol(X))
for (j in seq_len(ncol(X))) {
  b <- coef(g)[j]; se <- s[j, 2]
  lo[j] <- uniroot(function(t) prof_dev(j, t), c(b - 10 * se, b), tol = 1e-14, maxiter = 1000)$root
  hi[j] <- uniroot(function(t) prof_dev(j, t), c(b, b + 10 * se), tol = 1e-14, maxiter = 1000)$root
}
mass_ci <- suppressMessages(confint(g))  # MASS/stats profile by spline interpolation (looser)
write_tab(data.frame(term = rownames(s), coef = s[, 1], se = s[, 2], z = s[, 3], p = s[, 4],
                     profile_lo = lo, profile_hi = hi, mass_lo = mass_ci[, 1], mass_hi = mass_ci[, 2],
                     wald_lo = s[, 1] - qnorm(0.975) * s[, 2], wald_hi = s[, 1] + qnorm(0.975) * s[, 2]),
          "glm_clinical.csv")
write_tab(data.frame(deviance = g$deviance, null_deviance = g$null.deviance, aic = g$aic, loglik = as.numeric(logLik(g))),
          "glm_clinical_fit.csv")

# univariate Wald p per candidate (the clinical screen)
uni <- t(sapply(terms, function(t) {
  gu <- glm(as.formula(paste("y ~", t)), data = cl, family = binomial, control = ctrl)
  summary(gu)$coefficients[2, ]
}))
write_tab(data.frame(term = terms, coef = uni[, 1], se = uni[, 2], z = uni[, 3], p = uni[, 4]), "glm_univariate.csv")

# backward elimination by AIC (stats::step), from the full model
st <- step(g, direction = "backward", trace = 0, k = 2)
sc <- summary(st)$coefficients
write_tab(data.frame(term = rownames(sc), coef = sc[, 1], se = sc[, 2], aic = st$aic), "glm_step_backward.csv")
