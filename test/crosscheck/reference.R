# make crosscheck: the reference figures computed by R (the survival
# package for Kaplan-Meier, quantile(type = 1), mean, sum, sd), from the CSV
# files crosscheck.py writes into the directory given as the one argument.
# It writes its answers beside them, numbers as %.17g (exact doubles).
suppressPackageStartupMessages(library(survival))
dir <- commandArgs(trailingOnly = TRUE)[1]
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
put <- function(df, name) write.csv(df, file.path(dir, name), row.names = FALSE)
ps <- (1:999) / 1000                     # the same doubles as k / 1000 in Python and SQL

# cycles.csv: data (date: time in days; timestamptz: in microseconds), grp, time,
# status (1 closed, 0 open: censored at its age as of the as_of moment).
cyc <- read.csv(file.path(dir, "cycles.csv"), colClasses = c("character", "character", "numeric", "integer"))
curve <- list(); first <- list(); at <- list(); q1 <- list()
for (key in unique(paste(cyc$data, cyc$grp, sep = "|"))) {
    part <- strsplit(key, "|", fixed = TRUE)[[1]]
    d <- cyc[cyc$data == part[1] & cyc$grp == part[2], ]
    # timefix = FALSE: the times are exact integers; survfit must not merge near ones
    fit <- survfit(Surv(time, status) ~ 1, data = d, timefix = FALSE)
    curve[[key]] <- data.frame(data = part[1], grp = part[2], time = num(fit$time),
                               n_risk = fit$n.risk, n_event = fit$n.event, surv = num(fit$surv))
    # survival percentile p: the first time at which S <= 1 - p; "above" and
    # "below" move 1 - p by 1e-10, and differ from it only where S equals
    # 1 - p exactly (12 deals, 6 closed: S = 0.5), which rounding of the
    # product may put on either side
    rule <- function(eps) num(sapply(ps, function(p) fit$time[which(fit$surv <= 1 - p + eps)[1]]))
    first[[key]] <- data.frame(data = part[1], grp = part[2], k = 1:999,
                               first = rule(0), above = rule(1e-10), below = rule(-1e-10))
    # S at every day (date) or every hour (timestamptz), up to past the last time
    step <- if (part[1] == "date") 1 else 3600e6
    grid <- step * (0:(ceiling(max(d$time) / step) + 1))
    at[[key]] <- data.frame(data = part[1], grp = part[2], h = 0:(length(grid) - 1),
                            surv = num(c(1, fit$surv)[findInterval(grid, fit$time) + 1]))
    closed <- d$time[d$status == 1]
    q1[[key]] <- data.frame(data = part[1], grp = part[2], k = 0:1000,
                            q = num(quantile(closed, (0:1000) / 1000, type = 1, names = FALSE)))
}
put(do.call(rbind, curve), "r_curve.csv")
put(do.call(rbind, first), "r_first.csv")
put(do.call(rbind, at), "r_at.csv")
put(do.call(rbind, q1), "r_q1.csv")

# tickets.csv: grp, amount.
tk <- read.csv(file.path(dir, "tickets.csv"), colClasses = c("character", "numeric"))
mom <- do.call(rbind, lapply(split(tk$amount, tk$grp), function(x)
    data.frame(n = length(x), sum = num(sum(x)), mean = num(mean(x)), sd = num(sd(x)))))
put(cbind(grp = rownames(mom), mom), "r_moments.csv")
