//! Figures and how they are printed: latency percentiles, milliseconds, grouped counts, the
//! settings read from the environment and the closing summary table. It reports; it never
//! judges a run by failing it.

use anyhow::{Context, Result, bail};
use std::time::Duration;

/// A positive count from the environment (`1_000_000` and `1,000,000` are accepted), or
/// `default` when the variable is unset.
pub fn env_count(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(raw) => {
            let n: usize =
                raw.replace(['_', ','], "").parse().with_context(|| format!("{name}={raw:?} is not a count"))?;
            if n == 0 {
                bail!("{name} must be at least 1");
            }
            Ok(n)
        }
        Err(_) => Ok(default),
    }
}

/// One line of the closing summary.
pub struct Row {
    figure: String,
    measured: String,
    target: String,
    verdict: &'static str,
}

impl Row {
    pub fn new(figure: impl Into<String>, measured: String, target: &str, met: Option<bool>) -> Row {
        let verdict = match met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "",
        };
        Row { figure: figure.into(), measured, target: target.to_string(), verdict }
    }
}

/// Prints the closing summary: one line per figure, the target beside it.
pub fn print_summary(rows: &[Row]) {
    let width = rows.iter().map(|r| r.figure.chars().count()).max().unwrap_or(10);
    println!("{:width$}  {:>22}  {:>14}  ", "figure", "measured", "target");
    for r in rows {
        println!("{:width$}  {:>22}  {:>14}  {}", r.figure, r.measured, r.target, r.verdict);
    }
}

/// Percentiles of a set of timings.
pub struct Latency {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latency {
    pub fn of(mut samples: Vec<Duration>) -> Latency {
        samples.sort_unstable();
        let n = samples.len();
        let at = |q: f64| samples.get(((n as f64 * q).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default();
        Latency { n, p50: at(0.50), p99: at(0.99), max: samples.last().copied().unwrap_or_default() }
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// 1234567 → "1,234,567".
pub fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
