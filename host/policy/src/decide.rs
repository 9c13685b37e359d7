//! One decision function per effect kind. Enforcement points in the runtime call exactly these, and
//! journal the returned [`Decision`] as it is.
//!
//! Order is always: is it granted (else Denied)? is it a read (then Read)? otherwise the live rule decides
//! between Simulated and Live. Grants come first so that no LivePolicy or mode can widen access.

use crate::capability::{Capability, Decision, Outcome};
use crate::grants::{FsAccess, FsGrant, HttpGrant, HttpMethod, PluginGrants};
use crate::http_request::HttpRequest;
use crate::live::{LiveContext, LivePolicy, write_decision};
use crate::url_match::TargetUrl;

/// Decides an outgoing HTTP request from `plugin`: its method, URL, headers and body.
///
/// The method on the request line is only the first answer: a method-override header, parameter or body
/// field, or a body on a read, makes the request a write (see [`crate::http_request`]). Every method the
/// request names must be granted for its URL, and a read carrying such a signal needs a write method
/// granted too; the request is then decided as a write.
pub fn decide_http(
    plugin: &str,
    grants: &PluginGrants,
    live: &LivePolicy,
    ctx: &LiveContext,
    request: &HttpRequest,
) -> Decision {
    let method: HttpMethod = match request.method.parse() {
        Ok(method) => method,
        Err(unknown) => {
            return Decision::denied(format!("{unknown}; plugin `{plugin}` cannot use it"));
        }
    };
    let url = request.url;
    let target = match TargetUrl::parse(url) {
        Ok(target) => target,
        Err(error) => return Decision::denied(format!("URL `{url}` is refused: {error}")),
    };
    let covering = grants.http_grants_covering(&target);
    if covering.is_empty() {
        return Decision::denied(format!(
            "no http grant of plugin `{plugin}` covers {target}"
        ));
    }
    let Some(grant) = covering.iter().find(|g| g.methods.contains(&method)) else {
        return Decision::denied(format!(
            "{method} is not granted for {target}: plugin `{plugin}`'s grant {} does not allow it",
            grants_shown(&covering)
        ));
    };
    let signals = request.write_signals(target.query(), !method.is_write());
    if signals.is_empty() {
        if !method.is_write() {
            let reason = format!(
                "{method} is a read and {} is granted for {method}",
                grant.prefix
            );
            return Decision::new(Outcome::Read, reason);
        }
        let what = format!("{method} {target} is granted by {}", grant.prefix);
        return write_decision(plugin, Capability::Http, live, ctx, &what);
    }
    let mut names_a_write = method.is_write();
    for signal in &signals {
        let Some(named) = signal.named_method() else {
            continue;
        };
        let Ok(named_method) = named.to_ascii_uppercase().parse::<HttpMethod>() else {
            return Decision::denied(format!(
                "{signal} asks the server for a method Drydock does not know, so the {method} to {target} is refused"
            ));
        };
        names_a_write |= named_method.is_write();
        if !covering.iter().any(|g| g.methods.contains(&named_method)) {
            return Decision::denied(format!(
                "{signal} turns this {method} into a {named_method}, and {named_method} is not granted for {target}: \
                 plugin `{plugin}`'s grant {} does not allow it",
                grants_shown(&covering)
            ));
        }
    }
    let shown: Vec<String> = signals.iter().map(ToString::to_string).collect();
    let shown = shown.join(" and ");
    if !names_a_write
        && !covering
            .iter()
            .any(|g| g.methods.iter().any(|m| m.is_write()))
    {
        return Decision::denied(format!(
            "this {method} to {target} carries {shown}, so it is treated as a write, and no write method is \
             granted for it: plugin `{plugin}`'s grant {} allows reads only",
            grants_shown(&covering)
        ));
    }
    let what = format!(
        "{method} {target} carries {shown}, so it is treated as a write; it is granted by {}",
        grant.prefix
    );
    write_decision(plugin, Capability::Http, live, ctx, &what)
}

fn grants_shown(covering: &[&HttpGrant]) -> String {
    covering
        .iter()
        .map(|g| format!("{} ({})", g.prefix, g.methods_list()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decides a write into the directory of `dir` (an fs grant of `plugin`): Simulated means the plugin
/// writes into a scratch copy, Live means the real directory. The policy's own grant for that directory
/// is used, so a caller cannot upgrade `ro` to `rw` by passing a different [`FsGrant`].
pub fn decide_fs_write(
    plugin: &str,
    grants: &PluginGrants,
    live: &LivePolicy,
    ctx: &LiveContext,
    dir: &FsGrant,
) -> Decision {
    let shown = dir.dir.display();
    let Some(grant) = grants.fs_grant(&dir.dir) else {
        return Decision::denied(format!("plugin `{plugin}` has no fs grant for `{shown}`"));
    };
    if grant.access == FsAccess::ReadOnly {
        return Decision::denied(format!(
            "`{shown}` is granted read-only (ro) to plugin `{plugin}`; writes are denied"
        ));
    }
    let what = format!("writes to `{shown}` are granted (rw)");
    let decision = write_decision(plugin, Capability::Fs, live, ctx, &what);
    match decision.outcome {
        Outcome::Simulated => Decision {
            reason: format!("{} (in a scratch copy)", decision.reason),
            ..decision
        },
        _ => decision,
    }
}

/// Decides reading the secret `name`: Read if granted, else Denied.
pub fn decide_secret(plugin: &str, grants: &PluginGrants, name: &str) -> Decision {
    named_read(plugin, grants.secrets.contains(name), "secret", name)
}

/// Decides reading the environment variable `name`: Read if granted, else Denied.
pub fn decide_env(plugin: &str, grants: &PluginGrants, name: &str) -> Decision {
    named_read(plugin, grants.env.contains(name), "env variable", name)
}

/// Decides a call to the host's LLM: Read if `llm = true`, else Denied.
pub fn decide_llm(plugin: &str, grants: &PluginGrants) -> Decision {
    if grants.llm {
        Decision::new(
            Outcome::Read,
            format!("the LLM is granted to plugin `{plugin}`"),
        )
    } else {
        Decision::denied(format!(
            "the LLM is not granted to plugin `{plugin}` (llm = true is not set)"
        ))
    }
}

fn named_read(plugin: &str, granted: bool, kind: &str, name: &str) -> Decision {
    if granted {
        Decision::new(
            Outcome::Read,
            format!("{kind} `{name}` is granted to plugin `{plugin}`"),
        )
    } else {
        Decision::denied(format!(
            "{kind} `{name}` is not granted to plugin `{plugin}`"
        ))
    }
}

#[cfg(test)]
mod tests;
