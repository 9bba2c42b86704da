# Reference values for mmrad-evaluation from R: pROC (AUC, DeLong variance / CI, paired DeLong test),
# glm (tightly converged logistic recalibration) and rms::val.prob.
# Reads data.csv (from make_data.py); writes reference_r.csv with columns dataset,score,metric,value
# (values printed with %.17g, exact round trip). Run from this folder: Rscript make_reference.R
suppressPackageStartupMessages({
  library(pROC)
  library(rms)
})

data <- read.csv("data.csv", stringsAsFactors = FALSE)
clip <- 1e-15
rows <- list()
put <- function(dataset, score, metric, value) {
  rows[[length(rows) + 1]] <<- data.frame(dataset = dataset, score = score, metric = metric,
                                          value = sprintf("%.17g", value))
}

for (name in unique(data$dataset)) {
  d <- data[data$dataset == name, ]
  rocs <- list()
  for (score in c("a", "b")) {
    p <- d[[score]]
    # direction "<": controls (y = 0) have lower scores; no automatic flipping.
    r <- roc(d$y, p, levels = c(0, 1), direction = "<", quiet = TRUE)
    rocs[[score]] <- r
    ci <- ci.auc(r, method = "delong", conf.level = 0.95)
    put(name, score, "auc", as.numeric(auc(r)))
    put(name, score, "auc_lo", ci[1])
    put(name, score, "auc_hi", ci[3])
    put(name, score, "auc_var", var(r, method = "delong"))
    # Youden-optimal threshold (midpoints between distinct scores); with ties pROC returns every best threshold
    # and the lowest one is kept.
    best <- coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity"),
                   transpose = FALSE)
    best <- best[order(best$threshold), ]
    put(name, score, "youden_threshold", best$threshold[1])
    put(name, score, "youden_sensitivity", best$sensitivity[1])
    put(name, score, "youden_specificity", best$specificity[1])
    put(name, score, "youden_n_best", nrow(best))
    pc <- pmin(pmax(p, clip), 1 - clip)
    lp <- log(pc / (1 - pc))
    ctl <- glm.control(epsilon = 1e-14, maxit = 100)
    itl <- glm(d$y ~ 1 + offset(lp), family = binomial, control = ctl)
    free <- glm(d$y ~ lp, family = binomial, control = ctl)
    put(name, score, "cal_intercept", coef(itl)[1])
    put(name, score, "cal_intercept_free", coef(free)[1])
    put(name, score, "cal_slope", coef(free)[2])
    put(name, score, "brier", mean((p - d$y)^2))
    vp <- val.prob(pc, d$y, pl = FALSE)
    put(name, score, "valprob_intercept", vp[["Intercept"]])
    put(name, score, "valprob_slope", vp[["Slope"]])
    put(name, score, "valprob_brier", vp[["Brier"]])
    put(name, score, "valprob_c", vp[["C (ROC)"]])
  }
  test <- roc.test(rocs[["a"]], rocs[["b"]], method = "delong", paired = TRUE)
  put(name, "a-b", "delong_z", test$statistic)
  put(name, "a-b", "delong_p", test$p.value)
}
out <- do.call(rbind, rows)
write.csv(out, "reference_r.csv", row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, paste("pROC", packageVersion("pROC")), paste("rms", packageVersion("rms"))),
           "reference_r_versions.txt")
cat("wrote reference_r.csv\n")
