//! Everything the command line prints goes through here: `outln!`,
//! `errln!` and `errprint!` never panic on a closed pipe, and [`shown`]
//! escapes control characters so printed bytes cannot drive the terminal.

/// `println!` that never panics. When stdout is closed early
/// (`safegrade check rules/ | head -1`) the rest of the output is dropped
/// and the command goes on to its own verdict and exit code, so a script
/// piping it still learns of a failure; any other write error is returned.
macro_rules! outln {
    () => {
        outln!("")
    };
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        match writeln!(std::io::stdout(), "{}", $crate::output::shown(&format!($($arg)*))) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }};
}

/// `eprintln!` that never panics: when stderr is closed early
/// (`safegrade score … 2>&1 >/dev/null | head -1`) the message is lost, and
/// the run goes on to its own exit code.
macro_rules! errln {
    () => {
        errln!("")
    };
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "{}", $crate::output::shown(&format!($($arg)*)));
    }};
}

/// `eprint!` that never panics; see [`errln!`].
macro_rules! errprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), "{}", $crate::output::shown(&format!($($arg)*)));
    }};
}

/// Text for a terminal: each line through [`safegrade::visible`], which
/// writes every control character but tab as an escape, so bytes from a
/// rule file, a firm's answers or a file name cannot move the cursor,
/// recolour or retitle the terminal. Everything the command line prints to
/// stdout and stderr goes through it (`outln!`, `errln!`, `errprint!`).
pub(crate) fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.split('\n').map(safegrade::visible).collect::<Vec<_>>().join("\n"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_shown_as_escapes() {
        assert_eq!(super::shown("a\tb\nc"), "a\tb\nc");
        assert_eq!(super::shown("`\u{1b}]0;x\u{7}` \r"), "`\\u{1b}]0;x\\u{7}` \\r");
        assert_eq!(super::shown("统一社会信用代码 \u{85}"), "统一社会信用代码 \\u{85}");
    }
}
