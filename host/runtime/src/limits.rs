//! Per-invocation limits and the resource limiter that enforces the memory part of them.
//!
//! The limiter refuses growth (rather than trapping at once) so that a guest using fallible allocation can
//! recover; it remembers the refusal so that, when the guest then aborts, the error says "memory limit"
//! instead of a bare `unreachable` trap.

use std::time::Duration;

use drydock_policy::LimitOverrides;
use wasmtime::ResourceLimiter;

use crate::error::LimitBreach;

/// What one invocation may use. Defaults suit interactive tools; the policy can override them per plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time for the whole call, host calls included.
    pub timeout: Duration,
    /// Largest size any one linear memory of the guest may grow to.
    pub memory_bytes: u64,
    /// Largest result (JSON text) the guest may return.
    pub output_bytes: u64,
    /// How deep call-tool may nest (1 = the invoked tool may call one more level).
    pub max_call_depth: u32,
    /// Fuel budget; applies only when the engine counts fuel (`EngineSettings::fuel`).
    pub fuel: Option<u64>,
    /// Bytes of stdout and of stderr kept from the guest (the rest is dropped, not an error).
    pub stdio_bytes: usize,
    /// Largest request body the host buffers from the guest (every body is read before the request is
    /// decided, since a body can make a read a write).
    pub http_body_bytes: usize,
    /// Host memory the invocation's record may take: journal, artifacts, logs, the fs diff and the result.
    pub host_memory_bytes: u64,
    /// Bytes the guest may write into its writable directories (scratch copies or live), counted as written.
    pub fs_write_bytes: u64,
    /// Files, directories and links the guest may create in its writable directories.
    pub fs_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            memory_bytes: 64 << 20,
            output_bytes: 1 << 20,
            max_call_depth: 4,
            fuel: None,
            stdio_bytes: 64 << 10,
            http_body_bytes: 1 << 20,
            host_memory_bytes: 32 << 20,
            fs_write_bytes: 64 << 20,
            fs_entries: 10_000,
        }
    }
}

impl Limits {
    /// These limits with a plugin's overrides from the policy applied. The memory limit is capped by
    /// `engine_max_memory` (what the engine reserved per memory).
    pub fn with_overrides(&self, overrides: &LimitOverrides, engine_max_memory: u64) -> Limits {
        let mut limits = self.clone();
        if let Some(ms) = overrides.timeout_ms {
            limits.timeout = Duration::from_millis(ms);
        }
        if let Some(mib) = overrides.memory_mib {
            limits.memory_bytes = mib.saturating_mul(1 << 20);
        }
        if let Some(kib) = overrides.output_kib {
            limits.output_bytes = kib.saturating_mul(1 << 10);
        }
        if let Some(fuel) = overrides.fuel {
            limits.fuel = Some(fuel);
        }
        if let Some(mib) = overrides.host_memory_mib {
            limits.host_memory_bytes = mib.saturating_mul(1 << 20);
        }
        if let Some(mib) = overrides.fs_write_mib {
            limits.fs_write_bytes = mib.saturating_mul(1 << 20);
        }
        if let Some(entries) = overrides.fs_entries {
            limits.fs_entries = entries;
        }
        limits.memory_bytes = limits.memory_bytes.min(engine_max_memory);
        limits
    }
}

/// Enforces the memory and table limits of one store and remembers the first breach.
#[derive(Debug)]
pub struct GuestLimiter {
    memory_bytes: u64,
    table_elements: usize,
    /// The first limit the guest ran into, if any.
    pub breach: Option<LimitBreach>,
}

impl GuestLimiter {
    /// A limiter allowing `memory_bytes` per memory and a generous table size.
    pub fn new(memory_bytes: u64) -> Self {
        Self {
            memory_bytes,
            table_elements: 100_000,
            breach: None,
        }
    }
}

impl ResourceLimiter for GuestLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.memory_bytes {
            self.breach.get_or_insert(LimitBreach::Memory {
                limit_bytes: self.memory_bytes,
                requested_bytes: desired as u64,
            });
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.table_elements)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_defaults_and_memory_is_capped_by_the_engine() {
        let overrides = LimitOverrides {
            timeout_ms: Some(250),
            memory_mib: Some(4096),
            output_kib: Some(2),
            fs_write_mib: Some(3),
            ..LimitOverrides::NONE
        };
        let limits = Limits::default().with_overrides(&overrides, 512 << 20);
        assert_eq!(limits.timeout, Duration::from_millis(250));
        assert_eq!(limits.memory_bytes, 512 << 20);
        assert_eq!(limits.output_bytes, 2048);
        assert_eq!(limits.fs_write_bytes, 3 << 20);
        assert_eq!(
            limits.host_memory_bytes,
            Limits::default().host_memory_bytes
        );
    }

    #[test]
    fn limiter_refuses_growth_past_the_limit_and_remembers_it() {
        let mut limiter = GuestLimiter::new(1 << 20);
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert!(limiter.breach.is_none());
        assert!(!limiter.memory_growing(1 << 20, 2 << 20, None).unwrap());
        assert_eq!(
            limiter.breach,
            Some(LimitBreach::Memory {
                limit_bytes: 1 << 20,
                requested_bytes: 2 << 20
            })
        );
    }
}
