//! A quota on what a guest writes into its writable directories: bytes written and entries created.
//!
//! wasmtime-wasi's filesystem has no quota of its own, and a scratch copy sits on the host's disk: without
//! one, a dry run could fill the disk, and the diff made afterwards would read all of it. So the host links
//! its own `wasi:filesystem/types` ([`MeteredFs`]), which forwards every call to wasmtime-wasi's
//! implementation after charging it to the invocation's [`FsMeter`]:
//! - `write`, and every byte written through a `write-via-stream` / `append-via-stream` stream (the
//!   stream is wrapped in [`MeteredStream`]), counts its length; `set-size` counts the growth;
//! - `open-at` with `create` on a path that does not exist yet, `create-directory-at`, `symlink-at` and
//!   `link-at` count one entry.
//!
//! Past a limit the call fails with the WASI error `quota` (the guest can handle it), and the breach is
//! remembered: the invocation then ends with a `fs_write_limit` / `fs_entry_limit` error, since its diff
//! would be incomplete. Bytes are counted as written, not as the net size on disk: overwriting a file
//! counts again. Read-only mounts never reach the meter (wasmtime-wasi refuses their writes first).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use wasmtime::component::{HasData, Resource};
use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemCtxView};
use wasmtime_wasi::p2::bindings::filesystem::types::{
    self, ErrorCode, HostDescriptor, HostDirectoryEntryStream,
};
use wasmtime_wasi::p2::{
    DynOutputStream, FsError, FsResult, OutputStream, Pollable, StreamError, StreamResult,
};

use crate::error::LimitBreach;
use crate::limits::Limits;

/// What one invocation's guest has written and created; shared with the streams it opened.
#[derive(Clone)]
pub struct FsMeter {
    inner: Arc<MeterInner>,
}

struct MeterInner {
    limit_bytes: u64,
    limit_entries: u64,
    bytes: AtomicU64,
    entries: AtomicU64,
    breach: Mutex<Option<LimitBreach>>,
}

/// A write refused by the quota; the guest sees `quota`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct QuotaExceeded(LimitBreach);

impl FsMeter {
    /// A meter with the fs limits of `limits`.
    pub fn new(limits: &Limits) -> Self {
        Self {
            inner: Arc::new(MeterInner {
                limit_bytes: limits.fs_write_bytes,
                limit_entries: limits.fs_entries,
                bytes: AtomicU64::new(0),
                entries: AtomicU64::new(0),
                breach: Mutex::new(None),
            }),
        }
    }

    /// A meter with no limits, shared by every invocation without a writable mount: nothing it could
    /// count reaches a real directory (wasmtime-wasi refuses writes to read-only mounts after the meter).
    pub fn inert() -> Self {
        static INERT: std::sync::LazyLock<FsMeter> = std::sync::LazyLock::new(|| FsMeter {
            inner: Arc::new(MeterInner {
                limit_bytes: u64::MAX,
                limit_entries: u64::MAX,
                bytes: AtomicU64::new(0),
                entries: AtomicU64::new(0),
                breach: Mutex::new(None),
            }),
        });
        INERT.clone()
    }

    /// The first limit the guest ran into, if any.
    pub fn breach(&self) -> Option<LimitBreach> {
        self.lock_breach().clone()
    }

    /// Bytes counted so far.
    pub fn bytes_written(&self) -> u64 {
        self.inner.bytes.load(Ordering::Relaxed)
    }

    fn lock_breach(&self) -> std::sync::MutexGuard<'_, Option<LimitBreach>> {
        self.inner.breach.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn refuse(&self, breach: LimitBreach) -> QuotaExceeded {
        self.lock_breach().get_or_insert(breach.clone());
        QuotaExceeded(breach)
    }

    /// Charges `bytes` about to be written.
    fn charge_bytes(&self, bytes: u64) -> Result<(), QuotaExceeded> {
        let limit = self.inner.limit_bytes;
        let before = self.inner.bytes.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > limit {
            return Err(self.refuse(LimitBreach::FsWrites { limit_bytes: limit }));
        }
        Ok(())
    }

    /// Charges one entry about to be created.
    fn charge_entry(&self) -> Result<(), QuotaExceeded> {
        let limit = self.inner.limit_entries;
        if self.inner.entries.fetch_add(1, Ordering::Relaxed) + 1 > limit {
            return Err(self.refuse(LimitBreach::FsEntries { limit }));
        }
        Ok(())
    }
}

fn quota(_: QuotaExceeded) -> FsError {
    ErrorCode::Quota.into()
}

/// `wasi:filesystem/types` with the quota in front of wasmtime-wasi's implementation.
pub struct MeteredFs<'a> {
    /// wasmtime-wasi's filesystem view of the store.
    pub view: WasiFilesystemCtxView<'a>,
    /// The invocation's meter.
    pub meter: &'a FsMeter,
}

/// The [`HasData`] marker that links [`MeteredFs`].
pub struct MeteredFsData;

impl HasData for MeteredFsData {
    type Data<'a> = MeteredFs<'a>;
}

/// A borrow of the same descriptor, to ask about it before the call that consumes `fd`.
fn again(fd: &Resource<Descriptor>) -> Resource<Descriptor> {
    Resource::new_borrow(fd.rep())
}

impl types::Host for MeteredFs<'_> {
    fn convert_error_code(&mut self, err: FsError) -> wasmtime::Result<ErrorCode> {
        types::Host::convert_error_code(&mut self.view, err)
    }

    fn filesystem_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        if self
            .view
            .table
            .get(&err)?
            .downcast_ref::<QuotaExceeded>()
            .is_some()
        {
            return Ok(Some(ErrorCode::Quota));
        }
        types::Host::filesystem_error_code(&mut self.view, err)
    }
}

impl HostDescriptor for MeteredFs<'_> {
    async fn advise(
        &mut self,
        fd: Resource<Descriptor>,
        offset: types::Filesize,
        len: types::Filesize,
        advice: types::Advice,
    ) -> FsResult<()> {
        self.view.advise(fd, offset, len, advice).await
    }

    async fn sync_data(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        self.view.sync_data(fd).await
    }

    async fn get_flags(&mut self, fd: Resource<Descriptor>) -> FsResult<types::DescriptorFlags> {
        self.view.get_flags(fd).await
    }

    async fn get_type(&mut self, fd: Resource<Descriptor>) -> FsResult<types::DescriptorType> {
        self.view.get_type(fd).await
    }

    async fn set_size(&mut self, fd: Resource<Descriptor>, size: types::Filesize) -> FsResult<()> {
        let current = self.view.stat(again(&fd)).await?.size;
        if size > current {
            self.meter.charge_bytes(size - current).map_err(quota)?;
        }
        self.view.set_size(fd, size).await
    }

    async fn set_times(
        &mut self,
        fd: Resource<Descriptor>,
        atim: types::NewTimestamp,
        mtim: types::NewTimestamp,
    ) -> FsResult<()> {
        self.view.set_times(fd, atim, mtim).await
    }

    async fn read(
        &mut self,
        fd: Resource<Descriptor>,
        len: types::Filesize,
        offset: types::Filesize,
    ) -> FsResult<(Vec<u8>, bool)> {
        self.view.read(fd, len, offset).await
    }

    async fn write(
        &mut self,
        fd: Resource<Descriptor>,
        buf: Vec<u8>,
        offset: types::Filesize,
    ) -> FsResult<types::Filesize> {
        self.meter.charge_bytes(buf.len() as u64).map_err(quota)?;
        self.view.write(fd, buf, offset).await
    }

    async fn read_directory(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<Resource<types::DirectoryEntryStream>> {
        self.view.read_directory(fd).await
    }

    async fn sync(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        self.view.sync(fd).await
    }

    async fn create_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> FsResult<()> {
        self.meter.charge_entry().map_err(quota)?;
        self.view.create_directory_at(fd, path).await
    }

    async fn stat(&mut self, fd: Resource<Descriptor>) -> FsResult<types::DescriptorStat> {
        self.view.stat(fd).await
    }

    async fn stat_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
    ) -> FsResult<types::DescriptorStat> {
        self.view.stat_at(fd, path_flags, path).await
    }

    async fn set_times_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
        atim: types::NewTimestamp,
        mtim: types::NewTimestamp,
    ) -> FsResult<()> {
        self.view
            .set_times_at(fd, path_flags, path, atim, mtim)
            .await
    }

    async fn link_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path_flags: types::PathFlags,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        self.meter.charge_entry().map_err(quota)?;
        self.view
            .link_at(fd, old_path_flags, old_path, new_descriptor, new_path)
            .await
    }

    async fn open_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
        oflags: types::OpenFlags,
        flags: types::DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        if oflags.contains(types::OpenFlags::CREATE)
            && self
                .view
                .stat_at(again(&fd), path_flags, path.clone())
                .await
                .is_err()
        {
            self.meter.charge_entry().map_err(quota)?;
        }
        self.view.open_at(fd, path_flags, path, oflags, flags).await
    }

    fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        HostDescriptor::drop(&mut self.view, fd)
    }

    async fn readlink_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<String> {
        self.view.readlink_at(fd, path).await
    }

    async fn remove_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> FsResult<()> {
        self.view.remove_directory_at(fd, path).await
    }

    async fn rename_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        self.view.rename_at(fd, old_path, new_fd, new_path).await
    }

    async fn symlink_at(
        &mut self,
        fd: Resource<Descriptor>,
        src_path: String,
        dest_path: String,
    ) -> FsResult<()> {
        self.meter.charge_entry().map_err(quota)?;
        self.view.symlink_at(fd, src_path, dest_path).await
    }

    async fn unlink_file_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<()> {
        self.view.unlink_file_at(fd, path).await
    }

    fn read_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: types::Filesize,
    ) -> FsResult<Resource<wasmtime_wasi::p2::DynInputStream>> {
        self.view.read_via_stream(fd, offset)
    }

    fn write_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: types::Filesize,
    ) -> FsResult<Resource<DynOutputStream>> {
        let stream = self.view.write_via_stream(fd, offset)?;
        self.metered(stream).map_err(FsError::trap)
    }

    fn append_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<Resource<DynOutputStream>> {
        let stream = self.view.append_via_stream(fd)?;
        self.metered(stream).map_err(FsError::trap)
    }

    async fn is_same_object(
        &mut self,
        a: Resource<Descriptor>,
        b: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        self.view.is_same_object(a, b).await
    }

    async fn metadata_hash(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<types::MetadataHashValue> {
        self.view.metadata_hash(fd).await
    }

    async fn metadata_hash_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
    ) -> FsResult<types::MetadataHashValue> {
        self.view.metadata_hash_at(fd, path_flags, path).await
    }
}

impl HostDirectoryEntryStream for MeteredFs<'_> {
    async fn read_directory_entry(
        &mut self,
        stream: Resource<types::DirectoryEntryStream>,
    ) -> FsResult<Option<types::DirectoryEntry>> {
        self.view.read_directory_entry(stream).await
    }

    fn drop(&mut self, stream: Resource<types::DirectoryEntryStream>) -> wasmtime::Result<()> {
        HostDirectoryEntryStream::drop(&mut self.view, stream)
    }
}

impl MeteredFs<'_> {
    /// Replaces a file stream in the table by the same stream behind the meter.
    fn metered(
        &mut self,
        stream: Resource<DynOutputStream>,
    ) -> wasmtime::Result<Resource<DynOutputStream>> {
        let inner = self.view.table.delete(stream)?;
        let metered: DynOutputStream = Box::new(MeteredStream {
            inner,
            meter: self.meter.clone(),
        });
        Ok(self.view.table.push(metered)?)
    }
}

/// A file output stream whose writes are charged to the meter first.
pub struct MeteredStream {
    inner: DynOutputStream,
    meter: FsMeter,
}

#[wasmtime_wasi::async_trait]
impl Pollable for MeteredStream {
    async fn ready(&mut self) {
        self.inner.ready().await
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for MeteredStream {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.meter
            .charge_bytes(bytes.len() as u64)
            .map_err(|refused| StreamError::LastOperationFailed(refused.into()))?;
        self.inner.write(bytes)
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.inner.flush()
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        self.inner.check_write()
    }

    fn write_zeroes(&mut self, nelem: usize) -> StreamResult<()> {
        self.meter
            .charge_bytes(nelem as u64)
            .map_err(|refused| StreamError::LastOperationFailed(refused.into()))?;
        self.inner.write_zeroes(nelem)
    }

    async fn cancel(&mut self) {
        self.inner.cancel().await
    }
}
