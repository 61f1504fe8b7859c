//! Progress is data: the engine reports [`ProgressEvent`]s; this module draws them — a live
//! spinner per stack on a terminal, plain timestamped lines otherwise (CI) — and tests
//! collect them in a `Vec`.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Something that happened during deploy or destroy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgressEvent {
    /// Work on a stack begins.
    StackStarted {
        /// Stack name.
        stack: String,
    },
    /// The live stack already matches: nothing to do.
    StackUnchanged {
        /// Stack name.
        stack: String,
    },
    /// A change set is ready to run.
    ChangeSetReady {
        /// Stack name.
        stack: String,
        /// Resource changes in it.
        n_changes: usize,
    },
    /// A resource (or the stack itself) changed status.
    Resource {
        /// Stack name.
        stack: String,
        /// Logical id.
        logical_id: String,
        /// Resource type.
        resource_type: String,
        /// New status.
        status: String,
        /// CloudFormation's reason.
        reason: Option<String>,
    },
    /// A stack reached a final status.
    StackFinished {
        /// Stack name.
        stack: String,
        /// Its status.
        status: String,
        /// True when the operation succeeded.
        ok: bool,
    },
    /// Something about a stack worth a line of its own (template staging, a warning).
    Note {
        /// Stack name.
        stack: String,
        /// What happened.
        message: String,
    },
    /// A step of the subzone delegation.
    Delegation {
        /// What happened.
        message: String,
    },
    /// A step inside an EKS cluster (kubectl, helm), or what to run there by hand.
    Cluster {
        /// The cluster's name.
        cluster: String,
        /// What happened.
        message: String,
    },
}

impl ProgressEvent {
    fn stack(&self) -> Option<&str> {
        match self {
            ProgressEvent::StackStarted { stack }
            | ProgressEvent::StackUnchanged { stack }
            | ProgressEvent::ChangeSetReady { stack, .. }
            | ProgressEvent::Resource { stack, .. }
            | ProgressEvent::StackFinished { stack, .. }
            | ProgressEvent::Note { stack, .. } => Some(stack),
            ProgressEvent::Delegation { .. } | ProgressEvent::Cluster { .. } => None,
        }
    }

    /// One line describing the event.
    pub fn line(&self) -> String {
        match self {
            ProgressEvent::StackStarted { stack } => format!("{stack}: started"),
            ProgressEvent::StackUnchanged { stack } => format!("{stack}: no changes"),
            ProgressEvent::ChangeSetReady { stack, n_changes } => {
                format!("{stack}: change set with {n_changes} resource change(s)")
            }
            ProgressEvent::Resource {
                stack,
                logical_id,
                resource_type,
                status,
                reason,
            } => match reason {
                Some(reason) => {
                    format!("{stack}: {logical_id} ({resource_type}) {status}: {reason}")
                }
                None => format!("{stack}: {logical_id} ({resource_type}) {status}"),
            },
            ProgressEvent::StackFinished { stack, status, .. } => format!("{stack}: {status}"),
            ProgressEvent::Note { stack, message } => format!("{stack}: {message}"),
            ProgressEvent::Delegation { message } => format!("delegation: {message}"),
            ProgressEvent::Cluster { cluster, message } => format!("cluster {cluster}: {message}"),
        }
    }
}

/// How much a person sees: `--quiet`, the default, `--verbose`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// Failures only.
    Quiet,
    /// Spinners on a terminal (failures and notes as lines), every event as a line otherwise.
    #[default]
    Normal,
    /// Every event as a timestamped line, also on a terminal.
    Verbose,
}

static VERBOSITY: std::sync::OnceLock<Verbosity> = std::sync::OnceLock::new();

/// Set once by the command line, before anything is drawn; later calls are ignored.
pub fn set_verbosity(verbosity: Verbosity) {
    let _ = VERBOSITY.set(verbosity);
}

/// The process's verbosity (`Normal` until the command line sets it).
pub fn verbosity() -> Verbosity {
    VERBOSITY.get().copied().unwrap_or_default()
}

/// Receives progress events; shared by concurrently deployed stacks.
pub trait Progress: Sync {
    /// Records one event.
    fn report(&self, event: ProgressEvent);
}

/// Collects events (tests).
#[derive(Debug, Default)]
pub struct Collect(pub Mutex<Vec<ProgressEvent>>);

impl Progress for Collect {
    fn report(&self, event: ProgressEvent) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(event);
    }
}

impl Collect {
    /// The events so far.
    pub fn events(&self) -> Vec<ProgressEvent> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Draws events for a person: spinners on a terminal, timestamped lines elsewhere.
pub struct Display {
    started: Instant,
    live: Option<Live>,
    verbosity: Verbosity,
}

struct Live {
    bars: MultiProgress,
    by_stack: Mutex<Vec<(String, ProgressBar)>>,
}

impl Display {
    /// Live spinners when stderr is a terminal, plain lines otherwise; as the process's
    /// [`verbosity`] says.
    pub fn new() -> Display {
        let verbosity = verbosity();
        let live =
            (verbosity == Verbosity::Normal && std::io::stderr().is_terminal()).then(|| Live {
                bars: MultiProgress::new(),
                by_stack: Mutex::new(Vec::new()),
            });
        Display {
            started: Instant::now(),
            live,
            verbosity,
        }
    }

    /// Ends the live display: the cursor leaves the last spinner's line, so what is printed
    /// next starts on a line of its own.
    pub fn finish(&self) {
        if let Some(live) = &self.live {
            let drawn = !live
                .by_stack
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .is_empty();
            if drawn {
                eprintln!();
            }
        }
    }

    fn bar(live: &Live, stack: &str) -> ProgressBar {
        let mut bars = live
            .by_stack
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, bar)) = bars.iter().find(|(name, _)| name == stack) {
            return bar.clone();
        }
        let bar = live.bars.add(ProgressBar::new_spinner());
        // `NO_COLOR` (any non-empty value): no bold either.
        let template = if no_color() {
            "{spinner} {prefix} {wide_msg} {elapsed}"
        } else {
            "{spinner} {prefix:.bold} {wide_msg} {elapsed}"
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(stack.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        bars.push((stack.to_string(), bar.clone()));
        bar
    }
}

impl Default for Display {
    fn default() -> Display {
        Display::new()
    }
}

/// True when `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

/// What `--quiet` still shows: a resource or stack that failed.
fn is_failure(event: &ProgressEvent) -> bool {
    match event {
        ProgressEvent::Resource { status, .. } => status.ends_with("FAILED"),
        ProgressEvent::StackFinished { ok, .. } => !ok,
        _ => false,
    }
}

impl Progress for Display {
    fn report(&self, event: ProgressEvent) {
        if self.verbosity == Verbosity::Quiet && !is_failure(&event) {
            return;
        }
        match (&self.live, event.stack()) {
            (Some(live), Some(stack)) => {
                let bar = Display::bar(live, stack);
                match &event {
                    ProgressEvent::StackFinished { status, ok, .. } => {
                        bar.finish_with_message(format!(
                            "{} {status}",
                            if *ok { "done:" } else { "FAILED:" }
                        ));
                    }
                    ProgressEvent::StackUnchanged { .. } => bar.finish_with_message("no changes"),
                    other => {
                        let line = other.line();
                        bar.set_message(
                            line.split_once(": ")
                                .map_or(line.clone(), |(_, rest)| rest.to_string()),
                        );
                        if is_failure(other) || matches!(other, ProgressEvent::Note { .. }) {
                            let _ = live.bars.println(line);
                        }
                    }
                }
            }
            (Some(live), None) => {
                let _ = live.bars.println(event.line());
            }
            (None, _) => {
                let elapsed = self.started.elapsed().as_secs_f64();
                eprintln!("[{elapsed:7.1}s] {}", event.line());
            }
        }
    }
}
