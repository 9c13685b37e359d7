//! Validation of the argument rules of a grant (`max_body_bytes`, `query_params`, `body_schema`, ...)
//! and of the `secrets` list, whose entries are a bare name or `{ name, to }`. Every bad value is a load
//! error at its location; a bare secret name loads with a warning.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use toml::Spanned;

use super::{PluginValidator, RawFs, RawHttp};
use crate::error::{Location, PolicyError};
use crate::grants::FsAccess;
use crate::names::check_secret_name;
use crate::rules::{BodySchema, FsRules, HttpRules};
use crate::url_match::UrlPrefix;

/// The `secrets` list: every name granted, and the destinations of those granted *for* some.
type Secrets = (BTreeSet<String>, BTreeMap<String, Vec<UrlPrefix>>);

impl PluginValidator<'_> {
    pub(super) fn http_rules(
        &self,
        raw: &RawHttp,
        prefix: &UrlPrefix,
    ) -> Result<HttpRules, PolicyError> {
        let query_params = match &raw.query_params {
            None => None,
            Some(list) => {
                let mut names = BTreeSet::new();
                for name in list.get_ref() {
                    if name.get_ref().is_empty() {
                        return Err(self.invalid(
                            name.span(),
                            format!("http grant {prefix}: a query_params name is empty"),
                        ));
                    }
                    names.insert(name.get_ref().clone());
                }
                Some(names)
            }
        };
        let body_schema = match &raw.body_schema {
            None => None,
            Some(schema) => {
                let source = serde_json::to_value(schema.get_ref()).map_err(|err| {
                    self.invalid(schema.span(), format!("body_schema cannot be JSON: {err}"))
                })?;
                let compiled = BodySchema::compile(source).map_err(|message| {
                    self.invalid(schema.span(), format!("http grant {prefix}: {message}"))
                })?;
                if !raw.methods.get_ref().iter().any(|m| {
                    m.get_ref()
                        .parse::<crate::HttpMethod>()
                        .is_ok_and(|m| m.is_write())
                }) {
                    let message = format!(
                        "http grant {prefix} has a body_schema but grants no write method (POST, PUT, PATCH, \
                         DELETE), and the schema applies to write bodies only"
                    );
                    return Err(self.invalid(schema.span(), message));
                }
                Some(compiled)
            }
        };
        Ok(HttpRules {
            max_body_bytes: self.positive("max_body_bytes", &raw.max_body_bytes)?,
            max_requests_per_invocation: self.positive_u32(
                "max_requests_per_invocation",
                &raw.max_requests_per_invocation,
            )?,
            max_requests_per_minute: self
                .positive_u32("max_requests_per_minute", &raw.max_requests_per_minute)?,
            query_params,
            body_schema,
            allow_private: raw.allow_private.as_ref().is_some_and(|v| *v.get_ref()),
        })
    }

    pub(super) fn fs_rules(&self, raw: &RawFs, access: FsAccess) -> Result<FsRules, PolicyError> {
        let rules = FsRules {
            max_file_bytes: self.positive("max_file_bytes", &raw.max_file_bytes)?,
            max_files: self.positive("max_files", &raw.max_files)?,
        };
        if access == FsAccess::ReadOnly && !rules.is_empty() {
            let span = raw
                .max_file_bytes
                .as_ref()
                .or(raw.max_files.as_ref())
                .map_or(raw.access.span(), Spanned::span);
            let message = "max_file_bytes and max_files limit writes, and this fs grant is read-only (ro); \
                           remove them or make the grant rw";
            return Err(self.invalid(span, message));
        }
        Ok(rules)
    }

    /// A bare name (`"JIRA_TOKEN"`, warned about) or `{ name = "JIRA_TOKEN", to = ["https://..."] }`.
    pub(super) fn secrets(
        &self,
        raw: &[Spanned<toml::Value>],
        warnings: &mut Vec<String>,
    ) -> Result<Secrets, PolicyError> {
        let mut names = BTreeSet::new();
        let mut routes = BTreeMap::new();
        for entry in raw {
            let span = entry.span();
            let (name, to) = match entry.get_ref() {
                toml::Value::String(name) => (name.clone(), None),
                toml::Value::Table(table) => self.routed_secret(table, span.clone())?,
                _ => {
                    let message = "a secrets entry is a name (\"JIRA_TOKEN\") or a table \
                                   ({ name = \"JIRA_TOKEN\", to = [\"https://jira.example.com/\"] })";
                    return Err(self.invalid(span, message));
                }
            };
            check_secret_name(&name).map_err(|message| self.invalid(span.clone(), message))?;
            if !names.insert(name.clone()) {
                return Err(self.invalid(
                    span,
                    format!("secret `{name}` is granted twice; list it once"),
                ));
            }
            match to {
                Some(to) => {
                    routes.insert(name, to);
                }
                None => warnings.push(format!(
                    "{}: plugin `{}`: secret `{name}` is granted by name only, so it may go to any host the \
                     plugin is granted; grant it for destinations instead: \
                     {{ name = \"{name}\", to = [\"https://<host>/\"] }}",
                    Location::of_offset(self.file.origin, self.file.text, span.start),
                    self.plugin
                )),
            }
        }
        Ok((names, routes))
    }

    fn routed_secret(
        &self,
        table: &toml::Table,
        span: Range<usize>,
    ) -> Result<(String, Option<Vec<UrlPrefix>>), PolicyError> {
        if let Some(key) = table.keys().find(|k| *k != "name" && *k != "to") {
            return Err(self.invalid(
                span,
                format!("unknown key `{key}` in a secrets entry (expected `name` and `to`)"),
            ));
        }
        let Some(toml::Value::String(name)) = table.get("name") else {
            return Err(self.invalid(span, "a secrets entry needs `name = \"...\"` (a string)"));
        };
        let Some(toml::Value::Array(to)) = table.get("to") else {
            let message = format!(
                "secret `{name}` needs `to = [\"https://<host>/\"]`: the URL prefixes it may be sent to \
                 (or write the bare name to grant it without destinations)"
            );
            return Err(self.invalid(span, message));
        };
        if to.is_empty() {
            let message = format!("secret `{name}` lists no destinations in `to`");
            return Err(self.invalid(span, message));
        }
        let mut prefixes = Vec::with_capacity(to.len());
        for url in to {
            let toml::Value::String(url) = url else {
                let message = format!("secret `{name}`: every `to` entry is a URL prefix string");
                return Err(self.invalid(span, message));
            };
            let prefix = UrlPrefix::parse(url).map_err(|error| {
                self.invalid(
                    span.clone(),
                    format!("secret `{name}`: invalid `to` URL prefix `{url}`: {error}"),
                )
            })?;
            prefixes.push(prefix);
        }
        Ok((name.clone(), Some(prefixes)))
    }

    fn positive(&self, key: &str, raw: &Option<Spanned<u64>>) -> Result<Option<u64>, PolicyError> {
        match raw {
            Some(v) if *v.get_ref() == 0 => Err(self.invalid(
                v.span(),
                format!("rule `{key}` must be above zero (leave it out for no limit)"),
            )),
            Some(v) => Ok(Some(*v.get_ref())),
            None => Ok(None),
        }
    }

    fn positive_u32(
        &self,
        key: &str,
        raw: &Option<Spanned<u64>>,
    ) -> Result<Option<u32>, PolicyError> {
        let Some(value) = self.positive(key, raw)? else {
            return Ok(None);
        };
        u32::try_from(value).map(Some).map_err(|_| {
            let span = raw.as_ref().map_or(0..0, Spanned::span);
            self.invalid(span, format!("rule `{key}` must be at most {}", u32::MAX))
        })
    }
}
