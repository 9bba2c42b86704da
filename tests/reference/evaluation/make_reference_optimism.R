# Reference for Harrell's bootstrap optimism correction of a plain logistic model (no selection):
# rms::validate(lrm(...), method = "boot", B = 60). Writes
#   optimism_data.csv          y,x1,x2,x3 (n = 150, generated here with a fixed seed)
#   optimism_samples.csv       replicate,position,index (0-based rows of each bootstrap sample, in R's draw order:
#                              validate draws `sample(n, replace = TRUE)` once per replicate and nothing else)
#   reference_r_optimism.csv   index,index_orig,training,test,optimism,index_corrected (%.17g)
# Run from this folder: Rscript make_reference_optimism.R
suppressPackageStartupMessages(library(rms))

set.seed(20251126)
n <- 150
x1 <- round(rnorm(n), 4); x2 <- round(rnorm(n), 4); x3 <- round(runif(n), 4)
y <- rbinom(n, 1, plogis(-0.5 + 0.9 * x1 - 0.6 * x2 + 0.4 * x3))
d <- data.frame(y = y, x1 = x1, x2 = x2, x3 = x3)
write.csv(d, "optimism_data.csv", row.names = FALSE, quote = FALSE)
d <- read.csv("optimism_data.csv")

fit <- lrm(y ~ x1 + x2 + x3, data = d, x = TRUE, y = TRUE)
B <- 60
set.seed(7)
v <- validate(fit, method = "boot", B = B)
set.seed(7)
samples <- lapply(seq_len(B), function(i) sample(n, replace = TRUE))
s <- do.call(rbind, lapply(seq_len(B), function(i) data.frame(replicate = i - 1, position = seq_len(n) - 1,
                                                             index = samples[[i]] - 1)))
write.csv(s, "optimism_samples.csv", row.names = FALSE, quote = FALSE)
stopifnot(all(v[, "n"] == B))   # every bootstrap fit succeeded, so the samples line up with the replicates
out <- data.frame(index = rownames(v), index_orig = sprintf("%.17g", v[, "index.orig"]),
                  training = sprintf("%.17g", v[, "training"]), test = sprintf("%.17g", v[, "test"]),
                  optimism = sprintf("%.17g", v[, "optimism"]), index_corrected = sprintf("%.17g", v[, "index.corrected"]))
write.csv(out, "reference_r_optimism.csv", row.names = FALSE, quote = FALSE)
cat("wrote optimism_data.csv, optimism_samples.csv, reference_r_optimism.csv\n")
