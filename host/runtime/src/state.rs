//! The data of one wasmtime `Store`: everything a single invocation's guest can reach through the host.
//!
//! A fresh store is built for every invocation (no state survives between calls), from the plugin's grants:
//! an environment of granted names only, granted directories preopened (writes metered), stdio captured and bounded, sockets
//! and name lookup denied, and the HTTP gate in place of the default send hook.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::filesystem::WasiFilesystemCtxView;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::capability::fs::{FsMeter, MeteredFs};
use crate::capability::http::HttpGate;
use crate::context::CallContext;
use crate::limits::GuestLimiter;
use crate::output::CapturedOutput;

/// Store data of one invocation.
pub struct InvocationState {
    /// WASI state: env, preopens, stdio, clocks, random; sockets denied.
    pub wasi: WasiCtx,
    /// Resources the guest holds.
    pub table: ResourceTable,
    /// wasi-http settings.
    pub http: WasiHttpCtx,
    /// The grant check on every outgoing request.
    pub http_gate: HttpGate,
    /// Memory and table limits.
    pub limiter: GuestLimiter,
    /// Grants, mode, journal and the way back to the runtime.
    pub ctx: Arc<CallContext>,
    /// The guest's stdout.
    pub stdout: CapturedOutput,
    /// The guest's stderr (a Rust panic message lands here).
    pub stderr: CapturedOutput,
    /// What the guest wrote into its writable directories.
    pub fs_meter: FsMeter,
}

impl InvocationState {
    /// The filesystem as the guest reaches it: wasmtime-wasi's, behind the write quota.
    pub fn metered_fs(&mut self) -> MeteredFs<'_> {
        MeteredFs {
            view: WasiFilesystemCtxView {
                ctx: self.wasi.filesystem(),
                table: &mut self.table,
            },
            meter: &self.fs_meter,
        }
    }
}

impl WasiView for InvocationState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InvocationState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_gate,
        }
    }
}
