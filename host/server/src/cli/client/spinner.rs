//! A spinner on standard error while the CLI waits for the server, shown only on a terminal (scripts and
//! pipes get clean output).

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::time::Duration;

const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Awaits `work`, spinning with `label` meanwhile when standard error is a terminal.
pub async fn spin<T>(label: &str, work: impl Future<Output = T>) -> T {
    if !std::io::stderr().is_terminal() {
        return work.await;
    }
    let label = label.to_owned();
    let ticker = tokio::spawn(async move {
        for frame in FRAMES.iter().cycle() {
            eprint!("\r{frame} {label}");
            let _ = std::io::stderr().flush();
            tokio::time::sleep(Duration::from_millis(80)).await;
        }
    });
    let value = work.await;
    ticker.abort();
    eprint!("\r\x1b[2K");
    let _ = std::io::stderr().flush();
    value
}
