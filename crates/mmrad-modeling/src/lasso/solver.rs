//! The coordinate-descent core: one (standardised) design, a λ sequence, warm starts, sequential strong rules with
//! a KKT check, and a proximal-Newton (IRLS) outer loop for the binomial family.

use crate::Result;
use crate::numeric::{dot, sigmoid, soft_threshold, softplus};

use super::Family;

/// Standardised problem data: columns stored contiguously (column-major), centred, scaled to unit 1/n variance
/// when standardising; constant columns are excluded and keep a zero coefficient.
pub(super) struct Problem<'a> {
    pub n: usize,
    pub p: usize,
    pub xs: Vec<f64>,
    pub y: &'a [f64],
    pub family: Family,
    pub alpha: f64,
    pub means: Vec<f64>,
    pub sds: Vec<f64>,
    pub included: Vec<bool>,
    pub tol: f64,
    pub max_passes: usize,
}

/// Solutions along a λ sequence on the standardised scale.
pub(super) struct StdPath {
    pub lambdas: Vec<f64>,
    pub b0: Vec<f64>,
    pub beta: Vec<Vec<f64>>,
    pub dev_ratio: Vec<f64>,
    pub converged: Vec<bool>,
    pub null_dev: f64,
}

/// glmnet's path-stopping constants (`glmnet.control`: `fdev`, `devmax`, `mnlam`).
const FDEV: f64 = 1e-5;
const DEVMAX: f64 = 0.999;
const MNLAM: usize = 5;
const MAX_OUTER: usize = 200;
/// Tolerance of the first, active-set-finding solve at each λ.
const LOOSE_TOL: f64 = 1e-4;
/// Solve / polish / KKT rounds at one λ before the result is accepted as is.
/// Coordinate-descent sweeps at most per quadratic approximation in the loose phase.
const LOOSE_PASSES: usize = 10;
/// Quadratic approximations at most in the loose phase.
const LOOSE_OUTER: usize = 2;
const MAX_ROUNDS: usize = 20;

impl<'a> Problem<'a> {
    /// Centres every column on its mean and, when `standardize`, divides by its 1/n standard deviation.
    pub fn new(
        x: ndarray::ArrayView2<'_, f64>,
        y: &'a [f64],
        family: Family,
        alpha: f64,
        standardize: bool,
        tol: f64,
        max_passes: usize,
    ) -> Problem<'a> {
        let (n, p) = x.dim();
        let mut xs = vec![0.0; n * p];
        let mut means = vec![0.0; p];
        let mut sds = vec![1.0; p];
        let mut included = vec![true; p];
        for j in 0..p {
            let col = x.column(j);
            let mean = col.sum() / n as f64;
            let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
            let sd = var.sqrt();
            means[j] = mean;
            if sd.is_nan() || sd <= 1e-13 * mean.abs() || sd == 0.0 {
                included[j] = false;
                continue;
            }
            let scale = if standardize { sd } else { 1.0 };
            sds[j] = scale;
            for (i, v) in col.iter().enumerate() {
                xs[j * n + i] = (v - mean) / scale;
            }
        }
        Problem {
            n,
            p,
            xs,
            y,
            family,
            alpha,
            means,
            sds,
            included,
            tol,
            max_passes,
        }
    }

    fn col(&self, j: usize) -> &[f64] {
        &self.xs[j * self.n..(j + 1) * self.n]
    }

    /// Mean of the outcome.
    fn ybar(&self) -> f64 {
        self.y.iter().sum::<f64>() / self.n as f64
    }

    /// The largest useful λ: max_j |<x_j, y − ȳ>| / (n max(α, 1e-3)).
    pub fn lambda_max(&self) -> f64 {
        let ybar = self.ybar();
        let mut best: f64 = 0.0;
        for j in 0..self.p {
            if !self.included[j] {
                continue;
            }
            let g: f64 = self
                .col(j)
                .iter()
                .zip(self.y)
                .map(|(x, y)| x * (y - ybar))
                .sum::<f64>()
                / self.n as f64;
            best = best.max(g.abs());
        }
        best / self.alpha.max(1e-3)
    }

    /// Deviance of linear predictor `eta` (binomial: −2 loglik; gaussian: residual sum of squares).
    fn deviance(&self, eta: &[f64]) -> f64 {
        match self.family {
            Family::Binomial => {
                2.0 * eta
                    .iter()
                    .zip(self.y)
                    .map(|(e, y)| softplus(*e) - y * e)
                    .sum::<f64>()
            }
            Family::Gaussian => eta.iter().zip(self.y).map(|(e, y)| (y - e) * (y - e)).sum(),
        }
    }

    fn penalty(&self, lambda: f64, beta: &[f64]) -> f64 {
        let (l1, l2) = beta.iter().fold((0.0, 0.0), |(a, b), v| (a + v.abs(), b + v * v));
        lambda * (self.alpha * l1 + 0.5 * (1.0 - self.alpha) * l2)
    }

    /// Fits the whole sequence with warm starts. `early_stop` applies glmnet's rules (only for a computed
    /// sequence): stop after at least 5 values when the deviance ratio exceeds 0.999 or grows by less than
    /// 1e-5 (absolute: the step's deviance change as a fraction of the null deviance; a relative rule ran 6 steps
    /// past glmnet on collinear data, `tests/reference/modeling/glmnet_degenerate_ref.R`).
    pub fn fit_path(&self, lambdas: &[f64], early_stop: bool) -> Result<StdPath> {
        let n = self.n;
        let ybar = self.ybar();
        let b0_null = match self.family {
            Family::Binomial => (ybar / (1.0 - ybar)).ln(),
            Family::Gaussian => ybar,
        };
        let null_dev = self.deviance(&vec![b0_null; n]);
        let mut state = State {
            b0: b0_null,
            beta: vec![0.0; self.p],
            eta: vec![b0_null; n],
        };
        let mut ever_active = vec![false; self.p];
        let mut out = StdPath {
            lambdas: Vec::new(),
            b0: Vec::new(),
            beta: Vec::new(),
            dev_ratio: Vec::new(),
            converged: Vec::new(),
            null_dev,
        };
        let mut lambda_prev = lambdas.first().copied().unwrap_or(0.0);
        for (k, &lambda) in lambdas.iter().enumerate() {
            let grad = self.gradient(&state);
            let cut = self.alpha * (2.0 * lambda - lambda_prev);
            let mut strong: Vec<bool> = (0..self.p)
                .map(|j| self.included[j] && (ever_active[j] || grad[j].abs() >= cut))
                .collect();
            // At or above λ_max the null model is the exact solution (avoids rounding-level non-zeros).
            let at_null = state.beta.iter().all(|b| *b == 0.0)
                && grad
                    .iter()
                    .all(|g| g.abs() <= lambda * self.alpha * (1.0 + 1e-12));
            let mut round = if at_null { MAX_ROUNDS } else { 0 };
            let mut converged = true;
            while round < MAX_ROUNDS {
                round += 1;
                let set: Vec<usize> = (0..self.p).filter(|&j| strong[j]).collect();
                // A loose proximal-Newton / coordinate-descent solve finds the active set and signs; Newton's
                // method on the active set then converges quadratically. If the active set changes (a sign
                // flips) or the polished point fails the KKT check, coordinate descent runs at full tolerance.
                let tol = if round <= 5 { LOOSE_TOL } else { self.tol };
                let solved = self.solve(&mut state, lambda, &set, tol)?;
                let polished = self.polish(&mut state, lambda)?;
                converged = polished || solved;
                if !polished && tol > self.tol {
                    // Keep iterating loosely from where coordinate descent stopped; full tolerance after 5 rounds.
                    continue;
                }
                // KKT check on every zero coefficient.
                let grad = self.gradient(&state);
                let mut violated = false;
                for j in 0..self.p {
                    if self.included[j]
                        && state.beta[j] == 0.0
                        && grad[j].abs() > lambda * self.alpha * (1.0 + 1e-9) + 1e-15
                    {
                        strong[j] = true;
                        violated = true;
                    }
                }
                if !violated || round >= MAX_ROUNDS {
                    break;
                }
            }
            for j in 0..self.p {
                if state.beta[j] != 0.0 {
                    ever_active[j] = true;
                }
            }
            let dev = self.deviance(&state.eta);
            let ratio = 1.0 - dev / null_dev;
            out.lambdas.push(lambda);
            out.b0.push(state.b0);
            out.beta.push(state.beta.clone());
            out.dev_ratio.push(ratio);
            out.converged.push(converged);
            lambda_prev = lambda;
            if early_stop && k + 1 >= MNLAM {
                let previous = out.dev_ratio.get(k.wrapping_sub(1)).copied().unwrap_or(0.0);
                if ratio > DEVMAX || ratio - previous < FDEV {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// (1/n) Σ_i x_ij (y_i − μ_i) for every column (0 for excluded ones).
    fn gradient(&self, state: &State) -> Vec<f64> {
        let resid: Vec<f64> = state
            .eta
            .iter()
            .zip(self.y)
            .map(|(e, y)| match self.family {
                Family::Binomial => y - sigmoid(*e),
                Family::Gaussian => y - e,
            })
            .collect();
        (0..self.p)
            .map(|j| {
                if self.included[j] {
                    dot(self.col(j), &resid) / self.n as f64
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Penalised objective: deviance/(2n) + penalty.
    fn objective(&self, eta: &[f64], lambda: f64, beta: &[f64]) -> f64 {
        self.deviance(eta) / (2.0 * self.n as f64) + self.penalty(lambda, beta)
    }

    /// Solves at one λ over the columns in `set` (others held at their current value, zero).
    fn solve(&self, state: &mut State, lambda: f64, set: &[usize], tol: f64) -> Result<bool> {
        let n = self.n;
        let nf = n as f64;
        let mut w = vec![1.0; n];
        let mut wr = vec![0.0; n];
        let mut xv = vec![0.0; self.p];
        for outer in 0..MAX_OUTER {
            // Quadratic approximation at the current point.
            for i in 0..n {
                match self.family {
                    Family::Binomial => {
                        let mu = sigmoid(state.eta[i]);
                        w[i] = mu * (1.0 - mu);
                        wr[i] = self.y[i] - mu;
                    }
                    Family::Gaussian => {
                        w[i] = 1.0;
                        wr[i] = self.y[i] - state.eta[i];
                    }
                }
            }
            let w_sum = w.iter().sum::<f64>() / nf;
            for &j in set {
                let xj = self.col(j);
                let wx: Vec<f64> = xj.iter().zip(&w).map(|(x, wi)| wi * x).collect();
                xv[j] = dot(&wx, xj) / nf;
            }
            let old_b0 = state.b0;
            let old_beta: Vec<f64> = state.beta.clone();
            let mut b0 = state.b0;
            let mut beta = state.beta.clone();
            let cd_converged =
                self.coordinate_descent(lambda, set, &w, w_sum, &xv, &mut wr, &mut b0, &mut beta, tol)?;
            if self.family == Family::Gaussian {
                state.b0 = b0;
                state.beta = beta;
                state.eta = self.linear_predictor(state.b0, &state.beta, set);
                return Ok(cd_converged);
            }
            // Step (b0, β) − (old) with backtracking on the penalised objective.
            let d0 = b0 - old_b0;
            let mut d_eta = vec![d0; n];
            let mut max_change: f64 = d0.abs() * w_sum.sqrt();
            for &j in set {
                let d = beta[j] - old_beta[j];
                if d != 0.0 {
                    max_change = max_change.max(d.abs() * xv[j].sqrt());
                    for (de, x) in d_eta.iter_mut().zip(self.col(j)) {
                        *de += d * x;
                    }
                }
            }
            let f_old = self.objective(&state.eta, lambda, &old_beta);
            let mut t = 1.0;
            let mut accepted = false;
            for _ in 0..60 {
                let eta_t: Vec<f64> = state.eta.iter().zip(&d_eta).map(|(e, d)| e + t * d).collect();
                let beta_t: Vec<f64> = old_beta.iter().zip(&beta).map(|(o, b)| o + t * (b - o)).collect();
                let f_new = self.objective(&eta_t, lambda, &beta_t);
                if f_new <= f_old + 1e-13 * f_old.abs() {
                    state.eta = eta_t;
                    state.beta = beta_t;
                    state.b0 = old_b0 + t * d0;
                    accepted = true;
                    break;
                }
                t *= 0.5;
            }
            if !accepted || max_change * t < tol {
                // Refresh η from scratch to avoid drift from the incremental updates.
                state.eta = self.linear_predictor(state.b0, &state.beta, set);
                return Ok(cd_converged || tol >= LOOSE_TOL);
            }
            if outer + 1 == MAX_OUTER {
                break;
            }
            if tol >= LOOSE_TOL && outer + 1 >= LOOSE_OUTER {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Newton's method on the smooth problem restricted to the current active set with its signs fixed:
    /// minimise deviance/(2n) + λ[α sᵀβ_A + (1−α)/2‖β_A‖²] over (β₀, β_A). Returns false (state unchanged) when a
    /// coefficient would change sign or the Hessian is singular.
    fn polish(&self, state: &mut State, lambda: f64) -> Result<bool> {
        let n = self.n;
        let nf = n as f64;
        let mut active: Vec<usize> = (0..self.p).filter(|&j| state.beta[j] != 0.0).collect();
        if active.len() + 1 > n {
            return Ok(false);
        }
        let mut signs: Vec<f64> = active.iter().map(|&j| state.beta[j].signum()).collect();
        let l1 = lambda * self.alpha;
        let l2 = lambda * (1.0 - self.alpha);
        let restricted = |eta: &[f64], beta_a: &[f64], signs: &[f64]| -> f64 {
            let pen: f64 = beta_a
                .iter()
                .zip(signs)
                .map(|(b, s)| l1 * s * b + 0.5 * l2 * b * b)
                .sum();
            self.deviance(eta) / (2.0 * nf) + pen
        };
        let mut b0 = state.b0;
        let mut beta_a: Vec<f64> = active.iter().map(|&j| state.beta[j]).collect();
        let mut eta = state.eta.clone();
        let mut dropped = Vec::new();
        let mut last = false;
        for _ in 0..50 {
            let k = active.len() + 1;
            let (w, resid): (Vec<f64>, Vec<f64>) = match self.family {
                Family::Binomial => eta
                    .iter()
                    .zip(self.y)
                    .map(|(e, y)| {
                        let mu = sigmoid(*e);
                        (mu * (1.0 - mu), y - mu)
                    })
                    .unzip(),
                Family::Gaussian => eta.iter().zip(self.y).map(|(e, y)| (1.0, y - e)).unzip(),
            };
            // Gradient and Hessian of the restricted objective in (β₀, β_A).
            let mut grad = vec![0.0; k];
            let mut hess = ndarray::Array2::<f64>::zeros((k, k));
            grad[0] = -resid.iter().sum::<f64>() / nf;
            hess[[0, 0]] = w.iter().sum::<f64>() / nf;
            // w-weighted active columns, so each Hessian entry is one dot product.
            let weighted: Vec<Vec<f64>> = active
                .iter()
                .map(|&j| self.col(j).iter().zip(&w).map(|(x, wi)| x * wi).collect())
                .collect();
            for (a, &j) in active.iter().enumerate() {
                let xj = self.col(j);
                grad[a + 1] = -dot(xj, &resid) / nf + l1 * signs[a] + l2 * beta_a[a];
                hess[[a + 1, 0]] = weighted[a].iter().sum::<f64>() / nf;
                hess[[0, a + 1]] = hess[[a + 1, 0]];
                for (b, &i) in active.iter().enumerate().take(a + 1) {
                    let v = dot(&weighted[a], self.col(i)) / nf;
                    hess[[a + 1, b + 1]] = v;
                    hess[[b + 1, a + 1]] = v;
                }
                hess[[a + 1, a + 1]] += l2;
            }
            let Ok(chol) = mmrad_stats::linalg::Cholesky::new(hess.view()) else {
                return Ok(false);
            };
            let Ok(step) = chol.solve(ndarray::ArrayView1::from(&grad)) else {
                return Ok(false);
            };
            let f_old = restricted(&eta, &beta_a, &signs);
            let mut d_eta = vec![-step[0]; n];
            for (a, &j) in active.iter().enumerate() {
                for (de, x) in d_eta.iter_mut().zip(self.col(j)) {
                    *de -= step[a + 1] * x;
                }
            }
            // The restricted objective equals the lasso objective only inside the orthant of `signs`: a step that
            // would flip a sign is cut where the first coefficient reaches 0, which then leaves the active set
            // (an active-set Newton method; the KKT check of the caller brings it back if it must be non-zero).
            let mut t_max = 1.0;
            let mut hit = None;
            for (a, (b, s)) in beta_a.iter().zip(step.iter().skip(1)).enumerate() {
                if (b - s) * signs[a] <= 0.0 && *s != 0.0 {
                    let t_a = b / s;
                    if t_a < t_max {
                        t_max = t_a;
                        hit = Some(a);
                    }
                }
            }
            let mut t = t_max;
            let mut moved = false;
            let mut reached = false;
            for _ in 0..40 {
                let mut new_beta: Vec<f64> = beta_a
                    .iter()
                    .zip(step.iter().skip(1))
                    .map(|(b, s)| b - t * s)
                    .collect();
                let at_boundary = t == t_max && hit.is_some();
                if let (true, Some(a)) = (at_boundary, hit) {
                    new_beta[a] = 0.0;
                }
                if new_beta.iter().zip(&signs).any(|(b, s)| b * s < 0.0) {
                    return Ok(false);
                }
                let new_eta: Vec<f64> = eta.iter().zip(&d_eta).map(|(e, d)| e + t * d).collect();
                if restricted(&new_eta, &new_beta, &signs) <= f_old + 1e-13 * f_old.abs() {
                    beta_a = new_beta;
                    eta = new_eta;
                    b0 -= t * step[0];
                    moved = true;
                    reached = at_boundary;
                    break;
                }
                t *= 0.5;
            }
            if reached && let Some(a) = hit {
                dropped.push(active.remove(a));
                beta_a.remove(a);
                signs.remove(a);
                let mut beta = state.beta.clone();
                for &j in &dropped {
                    beta[j] = 0.0;
                }
                for (a, &j) in active.iter().enumerate() {
                    beta[j] = beta_a[a];
                }
                eta = self.linear_predictor(b0, &beta, &active);
                last = false;
                continue;
            }
            let size = step.iter().fold(0.0f64, |m, v| m.max(v.abs())) * t;
            // Quadratic convergence: one more step after a step below 1e-8 reaches rounding level.
            if !moved || last {
                break;
            }
            last = size < 1e-8;
        }
        state.b0 = b0;
        for &j in &dropped {
            state.beta[j] = 0.0;
        }
        for (a, &j) in active.iter().enumerate() {
            state.beta[j] = beta_a[a];
        }
        state.eta = self.linear_predictor(b0, &state.beta, &active);
        Ok(true)
    }

    fn linear_predictor(&self, b0: f64, beta: &[f64], set: &[usize]) -> Vec<f64> {
        let mut eta = vec![b0; self.n];
        for &j in set {
            if beta[j] != 0.0 {
                for (e, x) in eta.iter_mut().zip(self.col(j)) {
                    *e += beta[j] * x;
                }
            }
        }
        eta
    }

    /// Cyclic coordinate descent on the weighted least-squares problem
    /// (1/2n) Σ w_i (z_i − b0 − x_i β)² + λ[(1−α)/2‖β‖² + α‖β‖₁], tracking `wr` = w ∘ (z − b0 − Xβ).
    /// Alternates full sweeps over `set` with sweeps over its non-zero coefficients until a full sweep moves no
    /// coefficient by more than the tolerance (scaled by sqrt of its curvature).
    fn coordinate_descent(
        &self,
        lambda: f64,
        set: &[usize],
        w: &[f64],
        w_sum: f64,
        xv: &[f64],
        wr: &mut [f64],
        b0: &mut f64,
        beta: &mut [f64],
        tol: f64,
    ) -> Result<bool> {
        let nf = self.n as f64;
        let l1 = lambda * self.alpha;
        let l2 = lambda * (1.0 - self.alpha);
        let inner_tol = tol * 0.1;
        let mut passes = 0usize;
        let sweep = |cols: &[usize], wr: &mut [f64], b0: &mut f64, beta: &mut [f64]| -> f64 {
            let mut max_change: f64 = 0.0;
            for &j in cols {
                let x = self.col(j);
                let old = beta[j];
                let grad = dot(x, wr) / nf;
                let new = soft_threshold(grad + xv[j] * old, l1) / (xv[j] + l2);
                let d = new - old;
                if d != 0.0 {
                    beta[j] = new;
                    for ((r, xi), wi) in wr.iter_mut().zip(x).zip(w) {
                        *r -= wi * xi * d;
                    }
                    max_change = max_change.max(d.abs() * xv[j].sqrt());
                }
            }
            if w_sum > 0.0 {
                let d0 = wr.iter().sum::<f64>() / nf / w_sum;
                if d0 != 0.0 {
                    *b0 += d0;
                    for (r, wi) in wr.iter_mut().zip(w) {
                        *r -= wi * d0;
                    }
                    max_change = max_change.max(d0.abs() * w_sum.sqrt());
                }
            }
            max_change
        };
        // In the loose (active-set-finding) phase the sweeps are capped: Newton polishing finishes the job.
        let loose = tol >= LOOSE_TOL;
        loop {
            passes += 1;
            if sweep(set, wr, b0, beta) < inner_tol || (loose && passes > LOOSE_PASSES) {
                return Ok(true);
            }
            let active: Vec<usize> = set.iter().copied().filter(|&j| beta[j] != 0.0).collect();
            loop {
                passes += 1;
                if sweep(&active, wr, b0, beta) < inner_tol || (loose && passes > LOOSE_PASSES) {
                    break;
                }
                if passes > self.max_passes {
                    return Ok(false);
                }
            }
            if passes > self.max_passes {
                return Ok(false);
            }
        }
    }
}

struct State {
    b0: f64,
    beta: Vec<f64>,
    eta: Vec<f64>,
}
