//! The contract a plugin was built against (`drydock:plugin@0.1.0`, the `package` line of
//! `wit/drydock.wit`) and whether this host speaks it.
//!
//! Compatibility follows semver as Cargo reads it: the host serves a plugin when the host's contract
//! version matches `^<plugin's version>`. So a plugin for 0.1.0 runs on a 0.1.3 host, but a plugin for
//! 0.1.3 may use what a 0.1.0 host lacks, and 0.2 is a different contract. The component model would catch
//! a missing import at instantiation too; checking here refuses it at install, with a sentence.

use std::fmt;
use std::str::FromStr;

use semver::{Comparator, Op, Version};

/// The contract this host speaks; a test checks it against `wit/drydock.wit`.
pub const HOST_CONTRACT: &str = "drydock:plugin@0.1.0";

/// A WIT package name with its version, as written in a manifest's `contract`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// `namespace:name`, e.g. `drydock:plugin`.
    pub package: String,
    /// The package's semver version.
    pub version: Version,
}

impl Contract {
    /// The contract this host speaks ([`HOST_CONTRACT`]).
    pub fn host() -> Contract {
        HOST_CONTRACT
            .parse()
            .expect("HOST_CONTRACT is a valid contract (tested)")
    }

    /// Whether a host speaking `host` can run a plugin built against `self`; `Err` says why not.
    pub fn check_against(&self, host: &Contract) -> Result<(), ContractError> {
        if self.package != host.package {
            return Err(ContractError::OtherPackage {
                plugin: self.to_string(),
                host: host.to_string(),
            });
        }
        let caret = Comparator {
            op: Op::Caret,
            major: self.version.major,
            minor: Some(self.version.minor),
            patch: Some(self.version.patch),
            pre: self.version.pre.clone(),
        };
        if caret.matches(&host.version) {
            Ok(())
        } else {
            Err(ContractError::Incompatible {
                plugin: self.to_string(),
                host: host.to_string(),
            })
        }
    }
}

impl fmt::Display for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.package, self.version)
    }
}

impl FromStr for Contract {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = "a contract is written `namespace:name@version`, e.g. `drydock:plugin@0.1.0`";
        let (package, version) = text
            .split_once('@')
            .ok_or_else(|| format!("`{text}` has no `@version`; {usage}"))?;
        let well_formed = package.split_once(':').is_some_and(|(namespace, name)| {
            [namespace, name].iter().all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
        });
        if !well_formed {
            return Err(format!("`{package}` is not a WIT package name; {usage}"));
        }
        let version = Version::parse(version)
            .map_err(|error| format!("`{version}` is not a semver version ({error}); {usage}"))?;
        Ok(Contract {
            package: package.to_owned(),
            version,
        })
    }
}

/// Why this host cannot run a plugin built against some contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// Not Drydock's contract at all.
    #[error("the plugin is built against `{plugin}`, not this host's contract `{host}`")]
    OtherPackage {
        /// The plugin's contract.
        plugin: String,
        /// The host's contract.
        host: String,
    },
    /// Drydock's contract, in a version this host does not serve.
    #[error(
        "the plugin is built against `{plugin}` and this host speaks `{host}`; rebuild the plugin against \
         `{host}` (drydock plugin build uses the contract it was installed with) or upgrade the host"
    )]
    Incompatible {
        /// The plugin's contract.
        plugin: String,
        /// The host's contract.
        host: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(text: &str) -> Contract {
        text.parse().unwrap()
    }

    #[test]
    fn host_contract_is_the_package_line_of_the_wit() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../wit/drydock.wit");
        let wit = std::fs::read_to_string(path).unwrap();
        let line = wit
            .lines()
            .find_map(|line| line.trim().strip_prefix("package "))
            .expect("wit/drydock.wit has a package line");
        assert_eq!(line.trim_end_matches(';'), HOST_CONTRACT);
        assert_eq!(Contract::host().to_string(), HOST_CONTRACT);
    }

    #[test]
    fn a_host_serves_plugins_of_older_compatible_contracts() {
        let host = contract("drydock:plugin@0.1.3");
        assert!(
            contract("drydock:plugin@0.1.0")
                .check_against(&host)
                .is_ok()
        );
        assert!(
            contract("drydock:plugin@0.1.3")
                .check_against(&host)
                .is_ok()
        );
    }

    #[test]
    fn refuses_newer_or_other_minor_or_other_package() {
        let host = contract("drydock:plugin@0.1.0");
        for plugin in ["drydock:plugin@0.1.1", "drydock:plugin@0.2.0"] {
            let error = contract(plugin).check_against(&host).unwrap_err();
            assert!(
                matches!(error, ContractError::Incompatible { .. }),
                "{plugin}"
            );
        }
        let error = contract("wasi:http@0.1.0")
            .check_against(&host)
            .unwrap_err();
        assert!(error.to_string().contains("not this host's contract"));
    }

    #[test]
    fn refuses_contracts_that_are_not_name_at_semver() {
        for bad in [
            "drydock:plugin",
            "drydock@0.1.0",
            "drydock:plugin@1",
            "Drydock:Plugin@0.1.0",
        ] {
            assert!(bad.parse::<Contract>().is_err(), "{bad}");
        }
    }
}
