//! Live file writes of a rehearsal-bound run: the guest writes into a scratch copy, as in a dry run, and
//! afterwards the host applies to the real directory each change its approved rehearsal showed. A change it
//! did not show is not applied: it is journaled `denied` (`not rehearsed`) and waits for an operator's
//! review ([`crate::rehearsal`]); *allow once* applies exactly that change.
//!
//! Why a scratch copy and not the real directory: a file write cannot be stopped half-way once the guest
//! holds a descriptor on the real file, so the only place to hold a change is before it reaches the real
//! directory. The guest's reads see its own writes either way.
//!
//! Before any of that, the writes are checked against the grant's argument rules and secret flow
//! ([`guard::check_writes`], as for a staged unbound mount): the rehearsal passed them, but the live run may
//! write other content of the same shape (or more files), and what counts is what is about to be applied.

use std::path::Path;

use drydock_policy::{Capability, EffectFingerprint, FsGrant, Outcome, PayloadShape};
use serde_json::json;

use super::diff::{self, Change, ChangeKind};
use super::{MAX_COPY_FILES, MAX_DIFF_BYTES, MountKind, PreparedFs, deny_writes, guard};
use crate::context::CallContext;
use crate::journal::NewEffect;
use crate::rehearsal::{self, LiveCheck};

/// Largest file whose JSON structure is part of its fingerprint; larger ones are compared by size class.
const MAX_SHAPED_FILE_BYTES: u64 = 64 << 10;

impl PreparedFs {
    /// After the call: applies the rehearsed changes of every rehearsal-bound mount, holding the others for
    /// review. The scratch copies are deleted when this returns. A mount whose writes break the grant's
    /// rules or carry a secret granted for destinations has none of them applied; the first such denial's
    /// reason is returned (as [`PreparedFs::finish`] does for unbound mounts).
    pub async fn finish_bound(&mut self, ctx: &CallContext) -> Option<String> {
        let mut denied = None;
        let mounts = std::mem::take(&mut self.mounts);
        for mount in mounts {
            match mount.how {
                MountKind::BoundLive { scratch, reason } => {
                    if let Err(why) = checked(ctx, &mount.grant, scratch.path()) {
                        denied.get_or_insert(why);
                        continue;
                    }
                    apply(ctx, &mount.grant, scratch.path(), &reason).await;
                }
                how => self.mounts.push(super::Mount { how, ..mount }),
            }
        }
        denied
    }
}

/// Checks the writes in `scratch` against `grant`'s rules and secret flow, journaling a breach `denied`.
///
/// A breach refuses the whole mount's changes, not only the breaching files, as the staged unbound path
/// does: `max_files` is a property of the call's writes together, not of one file, and applying the rest
/// would leave the directory half-written by a call that failed. Nothing reaches the rehearsal check
/// either, so a breach never pauses the run for a review whose *allow once* would apply it.
fn checked(ctx: &CallContext, grant: &FsGrant, scratch: &Path) -> Result<(), String> {
    let max_entries = MAX_COPY_FILES.saturating_add(ctx.limits.fs_entries as usize);
    guard::check_writes(ctx, grant, &grant.dir, scratch, max_entries).inspect_err(|why| {
        deny_writes(ctx, grant, why);
    })
}

async fn apply(ctx: &CallContext, grant: &FsGrant, scratch: &Path, reason: &str) {
    let max_entries = MAX_COPY_FILES.saturating_add(ctx.limits.fs_entries as usize);
    let changes = match diff::compare(&grant.dir, scratch, max_entries) {
        Ok(changes) => changes,
        Err(err) => {
            record(
                ctx,
                &format!("diff {}", grant.mount),
                Outcome::Denied,
                format!("nothing was applied: the changes could not be computed: {err}"),
                json!({}),
            );
            return;
        }
    };
    if changes.is_empty() {
        return;
    }
    // The diff of everything the plugin wrote, applied or not: the journal says which were.
    let patch = diff::unified(&changes, &grant.dir, scratch, MAX_DIFF_BYTES);
    for change in &changes {
        let action = format!("{} {}/{}", change.kind.verb(), grant.mount, change.path);
        let fingerprint = file_fingerprint(ctx, grant, change, scratch);
        let mut detail = change_detail(change);
        rehearsal::note_fingerprint(&mut detail, Some(&fingerprint));
        let check =
            rehearsal::check_live_write(ctx, Capability::Fs, &action, Some(&fingerprint), &detail);
        let LiveCheck::Perform(more) = check.await else {
            continue;
        };
        match apply_change(change, &grant.dir, scratch) {
            Ok(()) => record(
                ctx,
                &action,
                Outcome::Live,
                format!("{reason}{more}"),
                detail,
            ),
            Err(err) => record(
                ctx,
                &action,
                Outcome::Denied,
                format!("{reason}{more}; but it could not be applied: {err}"),
                detail,
            ),
        };
    }
    let name = format!(
        "{}.diff",
        grant.mount.trim_start_matches('/').replace('/', "_")
    );
    if let Err(err) =
        ctx.journal
            .add_host_artifact(&ctx.redactor, &name, "text/x-diff", patch.text.into_bytes())
    {
        tracing::warn!(plugin = ctx.plugin(), error = %err, "the fs diff artifact was not kept");
    }
}

fn record(
    ctx: &CallContext,
    action: &str,
    outcome: Outcome,
    reason: String,
    detail: serde_json::Value,
) {
    ctx.journal.record(
        &ctx.source,
        &ctx.redactor,
        NewEffect {
            capability: Capability::Fs,
            action: action.to_owned(),
            outcome,
            reason,
            detail,
        },
    );
}

/// The journal's facts of one change (the same as an unbound mount records).
pub(super) fn change_detail(change: &Change) -> serde_json::Value {
    json!({
        "path": change.path,
        "change": change.kind.verb(),
        "bytes_before": change.bytes_before,
        "bytes_after": change.bytes_after,
    })
}

/// The fingerprint of one change: its verb, `<mount>/<path>`, and the shape of the new content (`after`
/// is the directory holding it: the scratch copy, or the real directory of a live unbound mount).
pub(super) fn file_fingerprint(
    ctx: &CallContext,
    grant: &FsGrant,
    change: &Change,
    after: &Path,
) -> EffectFingerprint {
    let shape = match (change.kind, change.bytes_after) {
        (ChangeKind::Delete, _) | (_, None) => PayloadShape::of_size(0),
        (_, Some(bytes)) if bytes <= MAX_SHAPED_FILE_BYTES => {
            match std::fs::read(after.join(&change.path)) {
                Ok(content) => PayloadShape::of(&content),
                Err(_) => PayloadShape::of_size(bytes),
            }
        }
        (_, Some(bytes)) => PayloadShape::of_size(bytes),
    };
    let target = format!("{}/{}", grant.mount.trim_end_matches('/'), change.path);
    let fingerprint = EffectFingerprint::of_file(ctx.plugin(), change.kind.verb(), &target, shape);
    rehearsal::redacted(ctx, fingerprint)
}

/// Makes `change` (read from `scratch`) in `real`.
fn apply_change(change: &Change, real: &Path, scratch: &Path) -> std::io::Result<()> {
    let target = real.join(&change.path);
    let source = scratch.join(&change.path);
    match change.kind {
        ChangeKind::Delete => {
            let removed = match std::fs::symlink_metadata(&target) {
                Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&target),
                Ok(_) => std::fs::remove_file(&target),
                Err(err) => Err(err),
            };
            match removed {
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        }
        ChangeKind::Create | ChangeKind::Write => {
            let meta = std::fs::symlink_metadata(&source)?;
            if meta.is_dir() {
                return std::fs::create_dir_all(&target);
            }
            if meta.file_type().is_symlink() {
                return Err(std::io::Error::other(
                    "links are not applied to a real directory",
                ));
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(&source, &target).map(|_| ())
        }
    }
}
