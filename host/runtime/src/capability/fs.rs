//! Files: granted directories are preopened; the guest cannot name anything outside them.
//!
//! | grant | decision   | what the guest sees                      | after the call                         |
//! |-------|------------|------------------------------------------|----------------------------------------|
//! | ro    | read       | the real directory, read-only            | nothing to record                      |
//! | rw    | simulated  | a scratch copy of the directory, rw      | diff journaled + kept as an artifact; original untouched |
//! | rw    | live       | the real directory, rw                   | diff against a snapshot journaled + artifact |
//! | rw with rules, or a destination-bound secret | live | a scratch copy, rw (staged) | checked (`fs/guard.rs`); applied to the real directory only if it passes |
//! | rw, rehearsal-bound run | live | a scratch copy, rw | checked as staged; then each rehearsed change applied, others held for review (`fs/bound.rs`) |
//!
//! In a dry run too, the writes are checked against the grant's rules (`max_file_bytes`, `max_files`) and
//! secret flow before their diff is kept; a breach is journaled `denied` and fails the call.
//! Path containment (`..`, absolute paths, symlinks pointing out) is enforced by wasmtime-wasi's
//! capability-based filesystem: the guest only holds descriptors for the preopened directories. What the
//! guest writes into a writable mount is metered ([`meter`]): bytes written and entries created are
//! bounded per invocation, so a scratch copy cannot fill the host's disk. The diff is bounded too
//! ([`diff`]): nothing is read into memory whole, large files are summarised, and the text stops at
//! [`MAX_DIFF_BYTES`].

use std::path::{Path, PathBuf};

use drydock_policy::{Capability, FsAccess, FsGrant, Outcome, decide_fs_write};
use serde_json::json;
use tempfile::TempDir;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::context::CallContext;
use crate::journal::NewEffect;

mod bound;
pub mod diff;
mod guard;
mod meter;
mod tree;

pub use meter::{FsMeter, MeteredFs, MeteredFsData, QuotaExceeded};

/// Largest directory the host copies for a dry run or snapshots for a live run.
const MAX_COPY_FILES: usize = 10_000;
const MAX_COPY_BYTES: u64 = 256 << 20;
/// Longest diff text kept as an artifact per mount; the rest is summarised in its last line.
pub const MAX_DIFF_BYTES: usize = 1 << 20;

/// One granted directory, ready to preopen.
struct Mount {
    grant: FsGrant,
    /// What the guest sees; the real directory or a scratch copy.
    visible: PathBuf,
    how: MountKind,
}

enum MountKind {
    ReadOnly,
    /// Dry run: the guest writes into `scratch`; the original stays as it is.
    Scratch {
        scratch: TempDir,
        reason: String,
    },
    /// Live: the guest writes into the real directory; `before` is a snapshot to diff against.
    Live {
        before: TempDir,
        reason: String,
    },
    /// Live, guarded (argument rules or secret flow): the guest writes into `scratch`, and the writes are
    /// applied to the real directory after the call only if they pass ([`guard`]).
    Staged {
        scratch: TempDir,
        reason: String,
    },
    /// Live for a rehearsal-bound run: the guest writes into `scratch`; only rehearsed changes are applied
    /// afterwards ([`bound`]). Takes precedence over `Staged`, whose guards it checks too: the rehearsal
    /// passed them, but the live writes may differ in content or count.
    BoundLive {
        scratch: TempDir,
        reason: String,
    },
}

/// The granted directories of one invocation.
pub struct PreparedFs {
    mounts: Vec<Mount>,
}

impl PreparedFs {
    /// Decides each fs grant and makes scratch copies or snapshots as needed.
    pub fn prepare(ctx: &CallContext) -> Result<Self, String> {
        let mut mounts = Vec::new();
        for grant in &ctx.grants.fs {
            if !grant.dir.is_dir() {
                return Err(format!(
                    "directory `{}` granted to plugin `{}` does not exist; create it or fix the policy",
                    grant.dir.display(),
                    ctx.plugin()
                ));
            }
            let how = match grant.access {
                FsAccess::ReadOnly => MountKind::ReadOnly,
                FsAccess::ReadWrite => {
                    let decision = decide_fs_write(
                        ctx.plugin(),
                        &ctx.grants,
                        &ctx.live_policy,
                        &ctx.live_context,
                        grant,
                    );
                    match decision.outcome {
                        Outcome::Live if ctx.binding.is_some() => MountKind::BoundLive {
                            scratch: copy_to_temp(&grant.dir)?,
                            reason: decision.reason,
                        },
                        Outcome::Live if guard::is_guarded(ctx, grant) => MountKind::Staged {
                            scratch: copy_to_temp(&grant.dir)?,
                            reason: decision.reason,
                        },
                        Outcome::Live => MountKind::Live {
                            before: copy_to_temp(&grant.dir)?,
                            reason: decision.reason,
                        },
                        Outcome::Simulated => MountKind::Scratch {
                            scratch: copy_to_temp(&grant.dir)?,
                            reason: decision.reason,
                        },
                        // A rw grant is never denied writes; treat anything else as read-only to stay safe.
                        Outcome::Read | Outcome::Denied => MountKind::ReadOnly,
                    }
                }
            };
            let visible = match &how {
                MountKind::Scratch { scratch, .. }
                | MountKind::Staged { scratch, .. }
                | MountKind::BoundLive { scratch, .. } => scratch.path().to_path_buf(),
                MountKind::ReadOnly | MountKind::Live { .. } => grant.dir.clone(),
            };
            mounts.push(Mount {
                grant: grant.clone(),
                visible,
                how,
            });
        }
        Ok(Self { mounts })
    }

    /// Whether any mount can be written (a scratch copy or a live directory), which is when writes are metered.
    pub fn has_writable_mounts(&self) -> bool {
        self.mounts
            .iter()
            .any(|m| !matches!(m.how, MountKind::ReadOnly))
    }

    /// Preopens every mount at its guest path.
    pub fn preopen(&self, wasi: &mut WasiCtxBuilder) -> Result<(), String> {
        for mount in &self.mounts {
            let perms = match mount.how {
                MountKind::ReadOnly => FsPerms::ReadOnly,
                MountKind::Scratch { .. }
                | MountKind::Live { .. }
                | MountKind::Staged { .. }
                | MountKind::BoundLive { .. } => FsPerms::ReadWrite,
            };
            wasi.preopened_dir(&mount.visible, &mount.grant.mount, perms)
                .map_err(|err| format!("cannot open `{}`: {err}", mount.visible.display()))?;
        }
        Ok(())
    }

    /// After the call: journals what changed in each writable mount and keeps the diff as an artifact;
    /// applies staged writes. Scratch copies and snapshots are deleted when this returns. Writes that
    /// break the grant's rules or carry a secret granted for destinations are denied (not recorded as
    /// changes, not applied); the first such denial's reason is returned.
    pub fn finish(self, ctx: &CallContext) -> Option<String> {
        let mut denied = None;
        for mount in self.mounts {
            let max_entries = MAX_COPY_FILES.saturating_add(ctx.limits.fs_entries as usize);
            let (before, after, outcome, reason, _keep) = match mount.how {
                // A bound mount was applied by `finish_bound`; one left here was not, and is dropped.
                MountKind::ReadOnly | MountKind::BoundLive { .. } => continue,
                MountKind::Staged { scratch, reason } => {
                    let staged = scratch.path();
                    if let Err(why) = guard::check_writes(
                        ctx,
                        &mount.grant,
                        &mount.grant.dir,
                        staged,
                        max_entries,
                    ) {
                        deny_writes(ctx, &mount.grant, &why);
                        denied.get_or_insert(why);
                        continue;
                    }
                    record_changes(
                        ctx,
                        &mount.grant,
                        &mount.grant.dir,
                        staged,
                        Outcome::Live,
                        &reason,
                    );
                    if let Err(err) = guard::apply_staged(&mount.grant.dir, staged, max_entries) {
                        let why = format!("the checked writes could not all be applied: {err}");
                        deny_writes(ctx, &mount.grant, &why);
                        denied.get_or_insert(why);
                    }
                    continue;
                }
                MountKind::Scratch { scratch, reason } => (
                    mount.grant.dir.clone(),
                    scratch.path().to_path_buf(),
                    Outcome::Simulated,
                    reason,
                    scratch,
                ),
                MountKind::Live { before, reason } => (
                    before.path().to_path_buf(),
                    mount.grant.dir.clone(),
                    Outcome::Live,
                    reason,
                    before,
                ),
            };
            if let Err(why) = guard::check_writes(ctx, &mount.grant, &before, &after, max_entries) {
                deny_writes(ctx, &mount.grant, &why);
                denied.get_or_insert(why);
                continue;
            }
            record_changes(ctx, &mount.grant, &before, &after, outcome, &reason);
        }
        denied
    }
}

fn record_changes(
    ctx: &CallContext,
    grant: &FsGrant,
    before: &Path,
    after: &Path,
    outcome: Outcome,
    reason: &str,
) {
    // Everything the copy held, plus everything the guest was allowed to create.
    let max_entries = MAX_COPY_FILES.saturating_add(ctx.limits.fs_entries as usize);
    let changes = match diff::compare(before, after, max_entries) {
        Ok(changes) => changes,
        Err(err) => {
            ctx.journal.record(
                &ctx.source,
                &ctx.redactor,
                NewEffect {
                    capability: Capability::Fs,
                    action: format!("diff {}", grant.mount),
                    outcome,
                    reason: format!("{reason}; but the changes could not be computed: {err}"),
                    detail: json!({}),
                },
            );
            return;
        }
    };
    if changes.is_empty() {
        return;
    }
    for change in &changes {
        let mut detail = bound::change_detail(change);
        let fingerprint = bound::file_fingerprint(ctx, grant, change, after);
        crate::rehearsal::note_fingerprint(&mut detail, Some(&fingerprint));
        // Past the journal's budget these are counted (under their outcome) instead of kept; the diff
        // artifact still shows them.
        ctx.journal.record(
            &ctx.source,
            &ctx.redactor,
            NewEffect {
                capability: Capability::Fs,
                action: format!("{} {}/{}", change.kind.verb(), grant.mount, change.path),
                outcome,
                reason: reason.to_owned(),
                detail,
            },
        );
    }
    let patch = diff::unified(&changes, before, after, MAX_DIFF_BYTES);
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

/// Journals that the writes of one call into `grant`'s directory were denied, and why.
fn deny_writes(ctx: &CallContext, grant: &FsGrant, reason: &str) {
    ctx.journal.record(
        &ctx.source,
        &ctx.redactor,
        NewEffect {
            capability: Capability::Fs,
            action: format!("write {}", grant.mount),
            outcome: Outcome::Denied,
            reason: reason.to_owned(),
            detail: json!({}),
        },
    );
}

fn copy_to_temp(dir: &Path) -> Result<TempDir, String> {
    let temp = tempfile::Builder::new()
        .prefix("drydock-fs-")
        .tempdir()
        .map_err(|err| format!("cannot create a scratch directory: {err}"))?;
    tree::copy(dir, temp.path(), MAX_COPY_FILES, MAX_COPY_BYTES)?;
    Ok(temp)
}
