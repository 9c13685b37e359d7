//! A package's requests as the core weighs them: what each asks for and why, which ones an operator
//! accepted (and, for a directory, which directory), and the grants — policy syntax — that acceptance
//! becomes. Upgrades compare requests by what they ask for, never by position, so a request an operator
//! accepted once stays accepted in the next version and anything new is held.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// What the core needs of a package, read and verified by drydock-package.
#[derive(Debug, Clone)]
pub struct PackageFacts {
    /// The plugin's name.
    pub name: String,
    /// Its version (semver).
    pub version: String,
    /// The manifest as shipped (TOML).
    pub manifest: String,
    /// The trusted key that signed it, by name.
    pub signer: Option<String>,
    /// What it requests.
    pub requests: Vec<Request>,
}

/// One request of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Its id within the package, for `--grant` and the API: `http:0`, `fs#1`, `secrets:NAME`,
    /// `env:NAME`, `llm`.
    pub id: String,
    /// What it asks for.
    pub grant: RequestGrant,
    /// Why, in the package author's words.
    pub reason: String,
}

/// What one request asks for, in the policy's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "capability", rename_all = "lowercase")]
pub enum RequestGrant {
    /// `methods` under the URL prefix `url`.
    Http {
        /// The URL prefix.
        url: String,
        /// The methods under it.
        methods: Vec<String>,
    },
    /// A directory the operator chooses, read-only (`ro`) or read-write (`rw`), seen by the plugin at
    /// `mount`.
    Fs {
        /// `ro` or `rw`.
        access: String,
        /// Where the plugin sees it (`/workspace` for the first).
        mount: String,
    },
    /// A secret by name.
    Secrets {
        /// The secret's name.
        name: String,
    },
    /// An environment variable by name.
    Env {
        /// The variable's name.
        name: String,
    },
    /// The host's language model.
    Llm,
}

impl RequestGrant {
    /// How a person reads it: `POST, GET under https://x.example/api/`.
    pub fn summary(&self) -> String {
        match self {
            RequestGrant::Http { url, methods } => {
                format!("http {} under {url}", methods.join(", "))
            }
            RequestGrant::Fs { access, mount } => format!(
                "fs: a directory you choose, seen at {mount}, {}",
                if access == "rw" {
                    "read-write"
                } else {
                    "read-only"
                }
            ),
            RequestGrant::Secrets { name } => format!("secret {name}"),
            RequestGrant::Env { name } => format!("environment variable {name}"),
            RequestGrant::Llm => "the host's language model".into(),
        }
    }
}

/// Which requests an operator accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accept {
    /// Every request.
    All,
    /// None: the plugin runs with nothing granted.
    None,
    /// These request ids.
    Only(Vec<String>),
}

/// An accepted request, as stored: what it asked for and, for a directory, the directory granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// What was asked for.
    pub grant: RequestGrant,
    /// The directory an operator chose for an fs request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
}

/// The accepted requests of `requests` under `accept`, with `dirs` giving the directory of each
/// accepted fs request (by request id). An unknown id, or an fs request without a directory, is refused.
pub fn accept(
    requests: &[Request],
    accept: &Accept,
    dirs: &BTreeMap<String, PathBuf>,
) -> Result<Vec<Accepted>, CoreError> {
    if let Accept::Only(ids) = accept {
        for id in ids {
            if !requests.iter().any(|r| &r.id == id) {
                let known: Vec<&str> = requests.iter().map(|r| r.id.as_str()).collect();
                return Err(CoreError::Invalid(format!(
                    "the package makes no request `{id}` (its requests: {})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
    }
    let mut accepted = Vec::new();
    for request in requests {
        let taken = match accept {
            Accept::All => true,
            Accept::None => false,
            Accept::Only(ids) => ids.contains(&request.id),
        };
        if !taken {
            continue;
        }
        let dir = match request.grant {
            RequestGrant::Fs { .. } => {
                let dir = dirs.get(&request.id).cloned().ok_or_else(|| {
                    CoreError::Invalid(format!(
                        "the request `{}` asks for a directory: say which one (`--dir {}=/path`, or `dirs` in \
                         the API), or leave the request out",
                        request.id, request.id
                    ))
                })?;
                if !dir.is_absolute() {
                    return Err(CoreError::Invalid(format!(
                        "the directory for `{}` must be an absolute path on the server, not `{}`",
                        request.id,
                        dir.display()
                    )));
                }
                Some(dir)
            }
            _ => None,
        };
        accepted.push(Accepted {
            grant: request.grant.clone(),
            dir,
        });
    }
    Ok(accepted)
}

/// An upgrade's requests split by what was accepted before: the ones asking for what an operator already
/// accepted stay accepted (with the same directory); the others are held.
pub fn carry_over(requests: &[Request], before: &[Accepted]) -> (Vec<Accepted>, Vec<Request>) {
    let mut kept = Vec::new();
    let mut held = Vec::new();
    for request in requests {
        match before.iter().find(|a| a.grant == request.grant) {
            Some(previous) => kept.push(previous.clone()),
            None => held.push(request.clone()),
        }
    }
    (kept, held)
}

/// The grants `accepted` becomes for the plugin `name`, as a policy file holding only its section.
pub fn policy_text(name: &str, accepted: &[Accepted]) -> String {
    let mut table = toml::Table::new();
    let mut push = |key: &str, value: toml::Value| {
        table
            .entry(key)
            .or_insert_with(|| toml::Value::Array(Vec::new()))
            .as_array_mut()
            .expect("every key here holds an array")
            .push(value);
    };
    let mut llm = false;
    for accepted in accepted {
        match &accepted.grant {
            RequestGrant::Http { url, methods } => {
                let mut entry = toml::Table::new();
                entry.insert("url".into(), url.clone().into());
                entry.insert(
                    "methods".into(),
                    toml::Value::Array(methods.iter().cloned().map(Into::into).collect()),
                );
                push("http", entry.into());
            }
            RequestGrant::Fs { access, mount } => {
                let mut entry = toml::Table::new();
                let dir = accepted.dir.clone().unwrap_or_default();
                entry.insert("path".into(), dir.display().to_string().into());
                entry.insert("access".into(), access.clone().into());
                entry.insert("mount".into(), mount.clone().into());
                push("fs", entry.into());
            }
            RequestGrant::Secrets { name } => push("secrets", name.clone().into()),
            RequestGrant::Env { name } => push("env", name.clone().into()),
            RequestGrant::Llm => llm = true,
        }
    }
    if llm {
        table.insert("llm".into(), true.into());
    }
    let mut plugins = toml::Table::new();
    plugins.insert(name.to_owned(), table.into());
    let mut document = toml::Table::new();
    document.insert("plugins".into(), plugins.into());
    toml::to_string(&document).expect("a table of strings and arrays serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests() -> Vec<Request> {
        vec![
            Request {
                id: "http#1".into(),
                grant: RequestGrant::Http {
                    url: "https://notes.example.com/api/".into(),
                    methods: vec!["POST".into()],
                },
                reason: "posts notes".into(),
            },
            Request {
                id: "fs#1".into(),
                grant: RequestGrant::Fs {
                    access: "ro".into(),
                    mount: "/workspace".into(),
                },
                reason: "reads notes".into(),
            },
            Request {
                id: "secret:NOTES_TOKEN".into(),
                grant: RequestGrant::Secrets {
                    name: "NOTES_TOKEN".into(),
                },
                reason: "signs in".into(),
            },
        ]
    }

    #[test]
    fn accepted_requests_become_policy_syntax_the_policy_parser_reads() {
        let dirs = BTreeMap::from([("fs#1".to_owned(), PathBuf::from("/srv/notes"))]);
        let accepted = accept(&requests(), &Accept::All, &dirs).unwrap();
        let text = policy_text("notes", &accepted);
        let grants = super::super::grants_of("notes", &text).unwrap();
        assert_eq!(grants.http.len(), 1);
        assert_eq!(grants.fs[0].dir, PathBuf::from("/srv/notes"));
        assert!(grants.secrets.contains("NOTES_TOKEN"));
    }

    #[test]
    fn an_fs_request_needs_a_directory_and_unknown_ids_are_named() {
        let err = accept(&requests(), &Accept::All, &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`fs#1` asks for a directory"), "{err}");
        let err = accept(
            &requests(),
            &Accept::Only(vec!["http#9".into()]),
            &BTreeMap::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("no request `http#9`") && err.contains("secret:NOTES_TOKEN"),
            "{err}"
        );
        assert!(
            accept(&requests(), &Accept::None, &BTreeMap::new())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn an_upgrade_keeps_what_was_accepted_and_holds_what_is_new() {
        let before = accept(&requests()[..1], &Accept::All, &BTreeMap::new()).unwrap();
        let (kept, held) = carry_over(&requests(), &before);
        assert_eq!(kept, before);
        assert_eq!(
            held.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["fs#1", "secret:NOTES_TOKEN"]
        );
    }
}
