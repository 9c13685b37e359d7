//! Requests per minute per plugin and grant: a sliding window of the last minute's request times, one per
//! (plugin, grant), shared by every invocation of a runtime. A window holds at most the grant's limit of
//! instants, so memory stays bounded by the policy.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a request counts against `max_requests_per_minute`.
const WINDOW: Duration = Duration::from_secs(60);

/// The last minute's requests, by plugin and grant prefix.
#[derive(Debug, Default)]
pub struct RequestWindows {
    windows: Mutex<HashMap<(String, String), VecDeque<Instant>>>,
}

impl RequestWindows {
    /// Takes one request for `plugin` under `grant` if fewer than `max` were made in the last minute;
    /// otherwise returns how many were.
    pub fn take(&self, plugin: &str, grant: &str, max: u32) -> Result<(), usize> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows
            .entry((plugin.to_owned(), grant.to_owned()))
            .or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= max as usize {
            return Err(window.len());
        }
        window.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_up_to_its_limit_per_plugin_and_grant() {
        let windows = RequestWindows::default();
        assert_eq!(windows.take("a", "https://x/", 2), Ok(()));
        assert_eq!(windows.take("a", "https://x/", 2), Ok(()));
        assert_eq!(windows.take("a", "https://x/", 2), Err(2));
        assert_eq!(windows.take("b", "https://x/", 2), Ok(()));
        assert_eq!(windows.take("a", "https://y/", 2), Ok(()));
    }
}
