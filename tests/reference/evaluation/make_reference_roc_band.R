# Reference for the ROC figure's sensitivity band (mmrad-study `figures::roc_curve`) from pROC:
# - roc_band_resamples.csv / roc_band_resample_se.csv: 25 stratified bootstrap resamples drawn here (row numbers,
#   0-based) and pROC's coords(input = "specificity", ret = "sensitivity") on each at specificities 0, 0.02, ..., 1;
#   mmrad must give the same sensitivities on the same resamples (the per-replicate statistic, exactly).
# - roc_band_ci_se.csv: pROC's ci.se (2000 stratified replicates, 95 %) at the same specificities, with two seeds,
#   so the test can compare mmrad's band (its own 2000 replicates) within pROC's own Monte-Carlo spread.
# Data: data.csv (from make_data.py), dataset `liang`, scores `a` and `b` (3 decimals, so with ties).
# Run from this folder: Rscript make_reference_roc_band.R
suppressPackageStartupMessages(library(pROC))

data <- read.csv("data.csv", stringsAsFactors = FALSE)
d <- data[data$dataset == "liang", ]
grid <- seq(0, 1, by = 0.02)
fmt <- function(x) sprintf("%.17g", x)

resamples <- list()
resample_se <- list()
ci_rows <- list()
set.seed(20261127)
events <- which(d$y == 1)
controls <- which(d$y == 0)
for (score in c("a", "b")) {
  for (k in 1:25) {
    rows <- c(events[sample.int(length(events), replace = TRUE)],
              controls[sample.int(length(controls), replace = TRUE)])
    r <- roc(d$y[rows], d[[score]][rows], levels = c(0, 1), direction = "<", quiet = TRUE)
    se <- coords(r, x = grid, input = "specificity", ret = "sensitivity", transpose = FALSE)$sensitivity
    resamples[[length(resamples) + 1]] <- data.frame(score = score, replicate = k,
                                                    position = seq_along(rows) - 1, row = rows - 1)
    resample_se[[length(resample_se) + 1]] <- data.frame(score = score, replicate = k,
                                                        specificity = fmt(grid), sensitivity = fmt(se))
  }
  r <- roc(d$y, d[[score]], levels = c(0, 1), direction = "<", quiet = TRUE)
  for (seed in c(1, 2)) {
    set.seed(seed)
    ci <- ci.se(r, specificities = grid, boot.n = 2000, boot.stratified = TRUE, conf.level = 0.95,
                progress = "none")
    ci_rows[[length(ci_rows) + 1]] <- data.frame(score = score, seed = seed, specificity = fmt(grid),
                                                lower = fmt(ci[, 1]), median = fmt(ci[, 2]), upper = fmt(ci[, 3]))
  }
}
write.csv(do.call(rbind, resamples), "roc_band_resamples.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, resample_se), "roc_band_resample_se.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, ci_rows), "roc_band_ci_se.csv", row.names = FALSE, quote = FALSE)
