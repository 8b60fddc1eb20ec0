//! Everything that reaches the terminal: colour choice, the one error printer, and the
//! provisioning [`Reporter`]s (indicatif on a TTY, plain lines otherwise, recording in
//! tests). Business logic emits events; it never touches indicatif or stderr itself.

mod progress;

pub use progress::{
    Event, PlainReporter, RecordingReporter, Reporter, Stage, TtyReporter, reporter,
};

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::ColorChoice;

static COLOR_STDOUT: AtomicBool = AtomicBool::new(false);
static COLOR_STDERR: AtomicBool = AtomicBool::new(false);

/// Decide once whether stdout and stderr get colour: on a TTY, and never with `NO_COLOR`.
pub fn init_color(choice: ColorChoice) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (out, err) = match choice {
        ColorChoice::Always => (true, true),
        ColorChoice::Never => (false, false),
        ColorChoice::Auto if no_color => (false, false),
        ColorChoice::Auto => (
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
        ),
    };
    COLOR_STDOUT.store(out, Ordering::Relaxed);
    COLOR_STDERR.store(err, Ordering::Relaxed);
}

/// Whether stdout is coloured.
pub fn color_stdout() -> bool {
    COLOR_STDOUT.load(Ordering::Relaxed)
}

/// Whether stderr is coloured.
pub fn color_stderr() -> bool {
    COLOR_STDERR.load(Ordering::Relaxed)
}

/// ANSI styles, applied only when colour is on for that stream.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    /// Bold red, for errors.
    Error,
    /// Bold yellow, for warnings.
    Warning,
    /// Cyan, for notes and hints.
    Note,
    /// Green, for success.
    Good,
    /// Bold.
    Bold,
    /// Dim.
    Dim,
}

/// Wrap `text` in `style` if `enabled`.
pub fn paint(text: &str, style: Style, enabled: bool) -> String {
    if !enabled {
        return text.to_string();
    }
    let code = match style {
        Style::Error => "1;31",
        Style::Warning => "1;33",
        Style::Note => "36",
        Style::Good => "32",
        Style::Bold => "1",
        Style::Dim => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Print an error chain once, as `error: outer` followed by `  caused by: inner` lines.
pub fn print_error(err: &anyhow::Error) {
    let color = color_stderr();
    let mut out = format!("{} {err}", paint("error:", Style::Error, color));
    for cause in err.chain().skip(1) {
        out.push_str(&format!(
            "\n  {} {cause}",
            paint("caused by:", Style::Dim, color)
        ));
    }
    eprintln!("{out}");
}

/// Print a warning line to stderr.
pub fn warn(message: &str) {
    eprintln!(
        "{} {message}",
        paint("warning:", Style::Warning, color_stderr())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_is_plain_when_disabled() {
        assert_eq!(paint("x", Style::Error, false), "x");
        assert_eq!(paint("x", Style::Error, true), "\x1b[1;31mx\x1b[0m");
    }
}
