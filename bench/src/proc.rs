//! What the kernel knows about a process: CPU time from `/proc/PID/stat`, memory from
//! `/proc/PID/status`. Linux only, which is where the benchmark runs.

use std::time::Duration;

use anyhow::{Context, anyhow};

/// One reading of a process's counters.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// User + system CPU time since the process started.
    pub cpu: Duration,
    /// Resident set size now (`VmRSS`), in bytes.
    pub rss: u64,
    /// The highest resident set size so far (`VmHWM`), in bytes.
    pub peak_rss: u64,
}

/// Reads the counters of `pid`.
pub fn sample(pid: u32, ticks_per_second: u64) -> anyhow::Result<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow!("/proc/{pid}/stat has no command name"))?;
    // After the name, field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> anyhow::Result<u64> {
        fields
            .get(index)
            .ok_or_else(|| anyhow!("/proc/{pid}/stat is too short"))?
            .parse::<u64>()
            .context("a CPU time field of /proc/PID/stat")
    };
    let total_ticks = ticks(11)? + ticks(12)?;
    let cpu = Duration::from_micros(total_ticks * 1_000_000 / ticks_per_second.max(1));

    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let kib = |key: &str| -> anyhow::Result<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .ok_or_else(|| anyhow!("/proc/{pid}/status has no {key}"))
    };
    Ok(Sample {
        cpu,
        rss: kib("VmRSS:")? * 1024,
        peak_rss: kib("VmHWM:")? * 1024,
    })
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`, 100 on every common Linux).
pub fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}

/// Formats a byte count as MB with one decimal (10^6 bytes, as `ps` and most tables do).
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
