//! The progress indicator of a long step (installing a toolchain, building a plugin): on a terminal a
//! spinner with the elapsed seconds, redrawn in place; otherwise (a log, CI) one line when the step starts
//! and one when it ends, so a log never fills with redraws.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A step in progress; [`Progress::finish`] ends it (dropping it ends it too, silently).
pub struct Progress {
    what: String,
    started: Instant,
    stop: Arc<AtomicBool>,
    spinner: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts showing `what` (`installing componentize-py 0.25.1 from PyPI`) on standard error.
    pub fn start(what: impl Into<String>) -> Progress {
        let what = what.into();
        let stop = Arc::new(AtomicBool::new(false));
        let spinner = if std::io::stderr().is_terminal() {
            let (stop, what, started) = (stop.clone(), what.clone(), Instant::now());
            Some(std::thread::spawn(move || spin(&what, started, &stop)))
        } else {
            eprintln!("drydock: {what} …");
            None
        };
        Progress {
            what,
            started: Instant::now(),
            stop,
            spinner,
        }
    }

    /// Ends the step with a line saying how it went (`done`, `failed`) and how long it took.
    pub fn finish(mut self, outcome: &str) {
        self.halt();
        eprintln!(
            "drydock: {} — {outcome} in {:.1} s",
            self.what,
            self.started.elapsed().as_secs_f64()
        );
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(spinner) = self.spinner.take() {
            let _ = spinner.join();
            // Clear the spinner's line so the next output starts clean.
            eprint!("\r\x1b[2K");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.halt();
    }
}

fn spin(what: &str, started: Instant, stop: &AtomicBool) {
    const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    let mut frame = 0;
    while !stop.load(Ordering::Relaxed) {
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{} {what} ({} s)",
            FRAMES[frame % FRAMES.len()],
            started.elapsed().as_secs()
        );
        let _ = err.flush();
        drop(err);
        frame += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
}
