# Reference values for the clinical-prediction reporting of mmrad-evaluation, from R: rms::val.prob (intercept,
# slope, Brier, Emax, E90, Eavg, Spiegelhalter z and p), stats::lowess (Cleveland 1979; the smoother val.prob
# uses), pROC::coords (ROC curve points, Youden and fixed-sensitivity thresholds, PPV/NPV/accuracy),
# stats::prop.test(correct = FALSE) (Wilson score intervals), and the Hosmer-Lemeshow test written out with
# stats::quantile (type 7) + cut(include.lowest = TRUE) + pchisq, as ResourceSelection::hoslem.test groups.
# Reads data.csv (from make_data.py); writes, values printed with %.17g:
#   reference_r_clinical.csv  dataset,score,metric,value
#   reference_r_lowess.csv    dataset,score,kind,case,value  (fitted values in case order)
#   reference_r_coords.csv    dataset,score,row,threshold,sensitivity,specificity,ppv,npv,accuracy
#   reference_r_groups.csv    dataset,score,groups,group,n,events,mean_predicted,observed_rate,lo,hi
# Run from this folder: Rscript make_reference_clinical.R
suppressPackageStartupMessages({
  library(pROC)
  library(rms)
})

data <- read.csv("data.csv", stringsAsFactors = FALSE)
clip <- 1e-15
g17 <- function(v) sprintf("%.17g", v)
scalar <- list(); lows <- list(); coord_rows <- list(); group_rows <- list()
put <- function(dataset, score, metric, value) {
  scalar[[length(scalar) + 1]] <<- data.frame(dataset = dataset, score = score, metric = metric,
                                              value = g17(value))
}
wilson <- function(x, n) {
  if (n == 0) return(c(NaN, NaN))
  as.numeric(prop.test(x, n, correct = FALSE)$conf.int)
}
# Counts and Wilson intervals of the rule `score >= threshold` (pROC direction "<").
at_threshold <- function(name, score, rule, p, y, threshold) {
  pos <- p >= threshold
  tp <- sum(pos & y == 1); fp <- sum(pos & y == 0); tn <- sum(!pos & y == 0); fn <- sum(!pos & y == 1)
  put(name, score, paste0(rule, "_threshold"), threshold)
  for (m in list(c("tp", tp), c("fp", fp), c("tn", tn), c("fn", fn))) put(name, score, paste0(rule, "_", m[1]), as.numeric(m[2]))
  stat <- list(sensitivity = c(tp, tp + fn), specificity = c(tn, tn + fp), ppv = c(tp, tp + fp),
               npv = c(tn, tn + fn), accuracy = c(tp + tn, length(y)))
  for (m in names(stat)) {
    x <- stat[[m]][1]; n <- stat[[m]][2]
    ci <- wilson(x, n)
    put(name, score, paste0(rule, "_", m), if (n == 0) NaN else x / n)
    put(name, score, paste0(rule, "_", m, "_lo"), ci[1])
    put(name, score, paste0(rule, "_", m, "_hi"), ci[2])
  }
}

for (name in unique(data$dataset)) {
  d <- data[data$dataset == name, ]
  y <- d$y
  for (score in c("a", "b")) {
    p <- d[[score]]
    pc <- pmin(pmax(p, clip), 1 - clip)
    vp <- val.prob(pc, y, pl = FALSE)
    for (m in c("Intercept", "Slope", "Brier", "Emax", "E90", "Eavg", "S:z", "S:p")) {
      put(name, score, paste0("valprob_", m), vp[[m]])
    }
    put(name, score, "eo_ratio", sum(p) / sum(y))
    # The smoothed curve exactly as val.prob computes it, at each case.
    sm <- lowess(pc, y, iter = 0)
    smooth <- approx(sm, xout = pc, ties = mean)$y
    o <- order(d$a)
    robust <- numeric(nrow(d)); robust[o] <- lowess(d$a, d$b)$y        # default f = 2/3, iter = 3
    narrow <- numeric(nrow(d)); narrow[o] <- lowess(d$a, d$b, f = 0.3, iter = 1, delta = 0)$y
    kinds <- list(valprob_smooth = smooth)
    if (score == "a") kinds <- c(kinds, list(b_on_a_default = robust, b_on_a_f03_iter1 = narrow))
    for (k in names(kinds)) {
      lows[[length(lows) + 1]] <- data.frame(dataset = name, score = score, kind = k,
                                             case = seq_len(nrow(d)) - 1, value = g17(kinds[[k]]))
    }
    # ROC curve points.
    r <- roc(y, p, levels = c(0, 1), direction = "<", quiet = TRUE)
    all <- coords(r, "all", ret = c("threshold", "sensitivity", "specificity", "ppv", "npv", "accuracy"),
                  transpose = FALSE)
    coord_rows[[length(coord_rows) + 1]] <- data.frame(dataset = name, score = score, row = seq_len(nrow(all)) - 1,
      threshold = g17(all$threshold), sensitivity = g17(all$sensitivity), specificity = g17(all$specificity),
      ppv = g17(all$ppv), npv = g17(all$npv), accuracy = g17(all$accuracy))
    # Thresholds: Youden (lowest among equal maxima) and the highest threshold reaching sensitivity 0.9
    # (so the highest specificity among the rules that do).
    best <- coords(r, "best", best.method = "youden", ret = "threshold", transpose = FALSE)
    at_threshold(name, score, "youden", p, y, min(best$threshold))
    for (target in c(0.8, 0.9)) {
      ok <- all[all$sensitivity >= target, ]
      at_threshold(name, score, paste0("sens", target * 100), p, y, max(ok$threshold))
    }
    # Hosmer-Lemeshow and the grouped table (Wilson intervals) for 10 and 5 groups.
    for (g in c(10, 5)) {
      breaks <- unique(quantile(p, probs = seq(0, 1, 1 / g), type = 7))
      grp <- cut(p, breaks, include.lowest = TRUE)
      grp <- droplevels(grp)
      n_g <- as.numeric(table(grp)); o_g <- as.numeric(tapply(y, grp, sum)); e_g <- as.numeric(tapply(pc, grp, sum))
      m_g <- as.numeric(tapply(p, grp, mean))
      hl <- sum((o_g - e_g)^2 / (e_g * (1 - e_g / n_g)))
      df <- length(n_g) - 2
      put(name, score, paste0("hl", g, "_stat"), hl)
      put(name, score, paste0("hl", g, "_df"), df)
      put(name, score, paste0("hl", g, "_p"), pchisq(hl, df, lower.tail = FALSE))
      ci <- t(sapply(seq_along(n_g), function(k) wilson(o_g[k], n_g[k])))
      group_rows[[length(group_rows) + 1]] <- data.frame(dataset = name, score = score, groups = g,
        group = seq_along(n_g), n = n_g, events = o_g, mean_predicted = g17(m_g), observed_rate = g17(o_g / n_g),
        lo = g17(ci[, 1]), hi = g17(ci[, 2]))
    }
  }
}
write.csv(do.call(rbind, scalar), "reference_r_clinical.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, lows), "reference_r_lowess.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, coord_rows), "reference_r_coords.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, group_rows), "reference_r_groups.csv", row.names = FALSE, quote = FALSE)
cat("wrote reference_r_clinical.csv, reference_r_lowess.csv, reference_r_coords.csv, reference_r_groups.csv\n")
