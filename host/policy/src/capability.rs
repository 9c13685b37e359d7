//! The vocabulary of a decision: which [`Capability`] an effect uses, which [`Mode`] was requested, and the
//! [`Decision`] (an [`Outcome`] plus the human-readable reason that goes into the journal).
//!
//! These are plain data with stable serde names, because they appear in the policy file, the LivePolicy
//! API and every journal entry.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A kind of access a plugin can be granted. Sockets, DNS and everything else are never grantable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// Outgoing HTTP to granted URL prefixes.
    Http,
    /// Granted directories, read-only or read-write.
    Fs,
    /// Named secrets.
    Secrets,
    /// Named environment variables.
    Env,
    /// The host's LLM.
    Llm,
}

impl Capability {
    /// Every capability, in declaration order.
    pub const ALL: [Capability; 5] = [
        Capability::Http,
        Capability::Fs,
        Capability::Secrets,
        Capability::Env,
        Capability::Llm,
    ];

    /// The name used in the policy file, the API and journal entries.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Http => "http",
            Capability::Fs => "fs",
            Capability::Secrets => "secrets",
            Capability::Env => "env",
            Capability::Llm => "llm",
        }
    }

    /// Whether the capability has writes at all; only those can be simulated or go live.
    pub fn has_writes(self) -> bool {
        matches!(self, Capability::Http | Capability::Fs)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capability name that is not one of `http`, `fs`, `secrets`, `env`, `llm`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown capability `{0}` (expected one of http, fs, secrets, env, llm)")]
pub struct UnknownCapability(pub String);

impl FromStr for Capability {
    type Err = UnknownCapability;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|cap| cap.as_str() == name)
            .ok_or_else(|| UnknownCapability(name.to_owned()))
    }
}

/// The mode an operator requested for an execution. The host, never the plugin, decides per effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Writes are journaled and simulated (the default).
    #[default]
    DryRun,
    /// Writes may be performed, if everything else allows it.
    Live,
}

impl Mode {
    /// The name used in the API: `dry-run` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::DryRun => "dry-run",
            Mode::Live => "live",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mode name that is neither `dry-run` nor `live`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mode `{0}` (expected dry-run or live)")]
pub struct UnknownMode(pub String);

impl FromStr for Mode {
    type Err = UnknownMode;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "dry-run" => Ok(Mode::DryRun),
            "live" => Ok(Mode::Live),
            _ => Err(UnknownMode(name.to_owned())),
        }
    }
}

/// What happens to one effect; journaled with every effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// An allowed read: it really happens, in any mode.
    Read,
    /// A write answered by the host without touching the outside world.
    Simulated,
    /// A write that is really performed.
    Live,
    /// Not granted: nothing happens and the plugin gets a denial.
    Denied,
}

impl Outcome {
    /// The journal name: `read`, `simulated`, `live` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Read => "read",
            Outcome::Simulated => "simulated",
            Outcome::Live => "live",
            Outcome::Denied => "denied",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one effect and why, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Decision {
    /// What happens.
    pub outcome: Outcome,
    /// Why, naming the grant, the plugin and every condition that was missing.
    pub reason: String,
}

impl Decision {
    pub(crate) fn new(outcome: Outcome, reason: impl Into<String>) -> Decision {
        Decision {
            outcome,
            reason: reason.into(),
        }
    }

    pub(crate) fn denied(reason: impl Into<String>) -> Decision {
        Decision::new(Outcome::Denied, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str_display_and_serde() {
        for cap in Capability::ALL {
            assert_eq!(cap.to_string().parse::<Capability>(), Ok(cap));
            assert_eq!(
                toml::Value::try_from(cap).unwrap().as_str(),
                Some(cap.as_str())
            );
        }
        assert_eq!("dry-run".parse::<Mode>(), Ok(Mode::DryRun));
        assert_eq!(
            toml::Value::try_from(Mode::DryRun).unwrap().as_str(),
            Some("dry-run")
        );
        assert_eq!(Mode::default(), Mode::DryRun);
        assert_eq!(
            toml::Value::try_from(Outcome::Simulated).unwrap().as_str(),
            Some("simulated")
        );
        assert_eq!(Outcome::Denied.to_string(), "denied");
    }

    #[test]
    fn unknown_capability_is_an_error() {
        assert_eq!(
            "sockets".parse::<Capability>(),
            Err(UnknownCapability("sockets".into()))
        );
        assert!("HTTP".parse::<Capability>().is_err());
    }
}
