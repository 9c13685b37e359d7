//! Requests per minute per plugin and grant: a sliding window of the last minute's request times, one per
//! (plugin, grant), shared by every invocation of a runtime. A window holds at most the grant's limit of
//! instants, so memory stays bounded by the policy.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use drydock_policy::UrlPrefix;

/// How long a request counts against `max_requests_per_minute`.
const WINDOW: Duration = Duration::from_secs(60);

/// The last minute's requests, by plugin and grant prefix (looked up by reference: a request that finds
/// its window allocates nothing).
#[derive(Debug, Default)]
pub struct RequestWindows {
    windows: Mutex<HashMap<String, HashMap<UrlPrefix, VecDeque<Instant>>>>,
}

impl RequestWindows {
    /// Takes one request for `plugin` under `grant` if fewer than `max` were made in the last minute;
    /// otherwise returns how many were.
    pub fn take(&self, plugin: &str, grant: &UrlPrefix, max: u32) -> Result<(), usize> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if !windows.contains_key(plugin) {
            windows.insert(plugin.to_owned(), HashMap::new());
        }
        let by_grant = windows.get_mut(plugin).expect("inserted above");
        if !by_grant.contains_key(grant) {
            by_grant.insert(grant.clone(), VecDeque::new());
        }
        let window = by_grant.get_mut(grant).expect("inserted above");
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
        let (x, y) = (
            UrlPrefix::parse("https://x/").unwrap(),
            UrlPrefix::parse("https://y/").unwrap(),
        );
        assert_eq!(windows.take("a", &x, 2), Ok(()));
        assert_eq!(windows.take("a", &x, 2), Ok(()));
        assert_eq!(windows.take("a", &x, 2), Err(2));
        assert_eq!(windows.take("b", &x, 2), Ok(()));
        assert_eq!(windows.take("a", &y, 2), Ok(()));
    }
}
