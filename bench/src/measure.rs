//! One measured batch of calls: wall time, CPU time of the calling thread, allocations made
//! by the calling thread. The clients run on a current-thread runtime, so their connection
//! tasks run on that thread too and everything a client costs is counted, while the stub
//! server's work (another thread) is not.

use std::time::{Duration, Instant};

/// What one batch cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sample {
    /// Elapsed time.
    pub wall: Duration,
    /// CPU time of the calling thread.
    pub cpu: Duration,
    /// Allocations made by the calling thread (reallocations count as allocations).
    pub allocations: u64,
}

/// Runs `batch` on this thread and measures it.
pub fn measure<T>(batch: impl FnOnce() -> T) -> Result<(T, Sample), String> {
    let cpu_start = cpu_time::ThreadTime::try_now()
        .map_err(|e| format!("cannot read this thread's CPU time: {e}"))?;
    let wall_start = Instant::now();
    let mut output = None;
    let counted = allocation_counter::measure(|| output = Some(batch()));
    let wall = wall_start.elapsed();
    let cpu = cpu_start
        .try_elapsed()
        .map_err(|e| format!("cannot read this thread's CPU time: {e}"))?;
    let output = output.ok_or("the measured batch did not run")?;
    Ok((
        output,
        Sample {
            wall,
            cpu,
            allocations: counted.count_total,
        },
    ))
}

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// `a / b` as a float, for durations.
pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn allocations_of_this_thread_are_counted() {
        let (length, sample) = measure(|| vec![1u8; 64].len()).unwrap_or_default();
        assert_eq!(length, 64);
        assert_eq!(sample.allocations, 1);
    }
}
