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

/// CPU time used so far by this process's threads, in seconds, summed by thread name with
/// any trailing number dropped (`sqlx-sqlite-worker-3` counts as `sqlx-sqlite-worker-`; Linux
/// truncates names to 15 bytes). Read from `/proc/self/task/*/stat`; empty where there is
/// none. Threads that ended are not counted, so compare two readings of a steady process.
pub fn thread_cpu() -> std::collections::BTreeMap<String, f64> {
    let mut by_name = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return by_name };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        // "tid (name) state ppid …": the name may hold spaces and parentheses, so the fields
        // are counted from the last ')'. utime and stime are fields 14 and 15, in ticks of
        // 1/100 s (USER_HZ).
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let name = stat[open + 1..close].trim_end_matches(|c: char| c.is_ascii_digit()).to_string();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let ticks: f64 = fields.get(11..13).into_iter().flatten().filter_map(|f| f.parse::<f64>().ok()).sum();
        *by_name.entry(name).or_insert(0.0) += ticks / 100.0;
    }
    by_name
}
