# Reference values of rms::nomogram for mmrad-modeling's nomogram (tests/nomogram.rs of mmrad-modeling).
# Run from the workspace root: Rscript tests/reference/evaluation/make_reference_nomogram.R
# Data: nomogram_data.csv (89 cases of tests/reference/modeling/clinical.csv: y, age, pr, ki67, ct).
# Writes nomogram_reference.csv (model, kind, term, value, points) and nomogram_pretty.csv (R's pretty()).
suppressMessages(library(rms))
d <- read.csv("tests/reference/evaluation/nomogram_data.csv")
dd <- datadist(d); options(datadist = "dd")
rows <- list()
add <- function(model, kind, term, value, points) {
  rows[[length(rows) + 1]] <<- data.frame(model = model, kind = kind, term = term, value = value, points = points)
}
models <- list(full = y ~ age + pr + ki67 + ct, single = y ~ ki67)
for (name in names(models)) {
  f <- lrm(models[[name]], data = d)
  nom <- nomogram(f, fun = plogis, funlabel = "p", fun.at = c(0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95))
  info <- attr(nom, "info")
  for (term in f$Design$name) {
    axis <- nom[[term]]
    add(name, "axis", term, axis[[term]], axis$points)
  }
  add(name, "coef", names(coef(f)), coef(f), NA)
  add(name, "scale", "points_per_lp", info$sc, NA)
  # Total points -> probability, in closed form from rms's own scale and zero-point linear predictor: the
  # linear predictor at 0 points is the intercept plus each axis's smallest X beta.
  lp0 <- unname(coef(f)[1]) + sum(apply(info$R, 2, min))
  add(name, "lp_at_zero", "total_points", 0, lp0)
  add(name, "total", "total_points", nom$total.points$x, plogis(lp0 + nom$total.points$x / info$sc))
  # rms's own positions of the probability ticks (fun.at) on the total-points axis: rms inverts `fun` numerically
  # (approx() over a grid of linear predictors), so these carry its interpolation error (~1e-4 points); the exact
  # inverse (qlogis(p) - lp0) * sc from rms's scale is written beside them.
  add(name, "probability", "p", nom$p$x.real, nom$p$x)
  add(name, "probability_exact", "p", nom$p$x.real, (qlogis(nom$p$x.real) - lp0) * info$sc)
}
out <- do.call(rbind, rows)
write.csv(out, "tests/reference/evaluation/nomogram_reference.csv", row.names = FALSE, quote = FALSE)
ranges <- list(c(26, 75), c(0, 1), c(1, 4), c(0.013, 0.987), c(-3.2, 7.9), c(0, 343.1), c(1e-4, 3e-4), c(5, 5),
               c(-1, 0), c(0.5, 2.5), c(12.5, 99), c(0, 100), c(-2.5e6, 1.7e7))
p <- do.call(rbind, lapply(ranges, function(r) {
  data.frame(lo = r[1], hi = r[2], n = 10, values = paste(trimws(format(pretty(r, n = 10), digits = 17)), collapse = ";"))
}))
write.csv(p, "tests/reference/evaluation/nomogram_pretty.csv", row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, paste("rms", packageVersion("rms"))), "tests/reference/evaluation/nomogram_versions.txt")
