//! Provisioning progress: events in, lines or progress bars out.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// A step of one service's provisioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Pulling the image.
    Pulling,
    /// Creating network, volume and container.
    Creating,
    /// Starting the container.
    Starting,
    /// Waiting for the database to initialise and accept the service's credentials.
    Initialising,
    /// Accepting queries with the service's own credentials.
    Ready,
    /// Nothing to do: already as desired.
    UpToDate,
    /// Removing resources.
    Removing,
    /// Removed.
    Removed,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Pulling => "pulling",
            Stage::Creating => "creating",
            Stage::Starting => "starting",
            Stage::Initialising => "initialising",
            Stage::Ready => "ready",
            Stage::UpToDate => "up to date",
            Stage::Removing => "removing",
            Stage::Removed => "removed",
        })
    }
}

/// Something that happened to one service. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The service entered a stage; `detail` is free text such as an image name.
    Stage {
        /// The service.
        service: String,
        /// The stage entered.
        stage: Stage,
        /// Extra text, e.g. `postgres:16`.
        detail: Option<String>,
    },
    /// Pull progress, 0–100 when known.
    Progress {
        /// The service.
        service: String,
        /// Percent done.
        percent: u8,
    },
    /// The service failed.
    Failed {
        /// The service.
        service: String,
        /// One-line reason.
        reason: String,
    },
    /// A warning not tied to failure.
    Warning {
        /// The service.
        service: String,
        /// The warning text.
        message: String,
    },
}

/// Receives provisioning events. Implementations must be cheap and thread-safe.
pub trait Reporter: Send + Sync {
    /// Handle one event.
    fn event(&self, event: Event);
    /// Called once when the whole operation ends.
    fn finish(&self) {}
}

/// Pick the reporter for stderr: progress bars on a TTY, plain lines otherwise.
pub fn reporter(services: &[String]) -> Box<dyn Reporter> {
    if std::io::stderr().is_terminal() {
        Box::new(TtyReporter::new(services))
    } else {
        Box::new(PlainReporter::new())
    }
}

/// One line per event, for pipes and CI logs.
pub struct PlainReporter {
    start: Instant,
}

impl PlainReporter {
    /// A reporter that prints to stderr.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Default for PlainReporter {
    fn default() -> Self {
        Self::new()
    }
}

fn elapsed(start: Instant) -> String {
    let d = start.elapsed();
    format!("{:>5.1}s", d.as_secs_f64())
}

impl Reporter for PlainReporter {
    fn event(&self, event: Event) {
        let t = elapsed(self.start);
        match event {
            Event::Stage {
                service,
                stage,
                detail,
            } => match detail {
                Some(d) => eprintln!("[{t}] {service}: {stage} ({d})"),
                None => eprintln!("[{t}] {service}: {stage}"),
            },
            Event::Progress { .. } => {}
            Event::Failed { service, reason } => eprintln!("[{t}] {service}: failed: {reason}"),
            Event::Warning { service, message } => {
                eprintln!("[{t}] {service}: warning: {message}")
            }
        }
    }
}

/// One indicatif line per service.
pub struct TtyReporter {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl TtyReporter {
    /// Create one spinner line per service, in order.
    pub fn new(services: &[String]) -> Self {
        let multi = MultiProgress::new();
        let width = services.iter().map(String::len).max().unwrap_or(0);
        let style = ProgressStyle::with_template(&format!(
            "{{spinner:.cyan}} {{prefix:<{width}.bold}} {{wide_msg}} {{elapsed:.dim}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let mut bars = HashMap::new();
        for service in services {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_prefix(service.clone());
            bar.set_message("waiting");
            bar.enable_steady_tick(Duration::from_millis(100));
            bars.insert(service.clone(), bar);
        }
        Self {
            multi,
            bars: Mutex::new(bars),
        }
    }

    fn with_bar(&self, service: &str, f: impl FnOnce(&ProgressBar)) {
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        let bar = bars.entry(service.to_string()).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_prefix(service.to_string());
            bar
        });
        f(bar);
    }
}

impl Reporter for TtyReporter {
    fn event(&self, event: Event) {
        match event {
            Event::Stage {
                service,
                stage,
                detail,
            } => self.with_bar(&service, |bar| {
                let msg = match detail {
                    Some(d) => format!("{stage} ({d})"),
                    None => stage.to_string(),
                };
                if matches!(stage, Stage::Ready | Stage::UpToDate | Stage::Removed) {
                    bar.finish_with_message(msg);
                } else {
                    bar.set_message(msg);
                }
            }),
            Event::Progress { service, percent } => self.with_bar(&service, |bar| {
                bar.set_message(format!("pulling {percent}%"));
            }),
            Event::Failed { service, reason } => self.with_bar(&service, |bar| {
                bar.abandon_with_message(format!("failed: {reason}"));
            }),
            Event::Warning { service, message } => {
                let _ = self.multi.println(format!("{service}: warning: {message}"));
            }
        }
    }

    fn finish(&self) {
        let bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        for bar in bars.values() {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }
}

/// Keeps every event, for tests.
#[derive(Default)]
pub struct RecordingReporter {
    events: Mutex<Vec<Event>>,
}

impl RecordingReporter {
    /// The events received so far.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Reporter for RecordingReporter {
    fn event(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(event);
    }
}
