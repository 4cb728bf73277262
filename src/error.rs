//! Errors that reach the user.
//!
//! Bad input (a register, a rule pack, a flag) is reported as
//! `file:line: message` and ends the command with exit code 2 before any work
//! is done; everything else that stops a command is a failure (exit code 3).

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with something the user wrote: refused with exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file and 1-based line the problem is on, when it is in a file.
    pub file: Option<PathBuf>,
    pub line: usize,
    pub message: String,
}

impl InputError {
    pub fn at(file: impl AsRef<Path>, line: usize, message: impl Into<String>) -> Self {
        InputError {
            file: Some(file.as_ref().to_path_buf()),
            line,
            message: message.into(),
        }
    }

    /// A problem that belongs to no file (a flag, a missing directory).
    pub fn plain(message: impl Into<String>) -> Self {
        InputError {
            file: None,
            line: 0,
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) if self.line > 0 => {
                write!(f, "{}:{}: {}", file.display(), self.line, self.message)
            }
            Some(file) => write!(f, "{}: {}", file.display(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// Exit codes (docs/contract.md#exit-codes), defined here once: the
/// library's errors map to them, and the command line exits with them.
pub mod exit {
    /// Done, and nothing at or above `--fail-on`.
    pub const OK: u8 = 0;
    /// Findings at or above `--fail-on` (or a rule test failed).
    pub const FINDINGS: u8 = 1;
    /// Bad input (register, rule packs, flags): nothing was scanned.
    pub const BAD_INPUT: u8 = 2;
    /// The scan itself failed or was interrupted.
    pub const FAILED: u8 = 3;
}

/// Why a command stopped early.
#[derive(Debug)]
pub enum Error {
    /// Bad register, rule pack or flag: nothing was done (exit 2).
    Input(InputError),
    /// The command itself failed (exit 3).
    Failed(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) => exit::BAD_INPUT,
            Error::Failed(_) => exit::FAILED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(e) => e.fmt(f),
            Error::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(e)
    }
}

/// 1-based line number of a byte offset in a text.
pub fn line_of(text: &str, offset: usize) -> usize {
    LineIndex::new(text).line(offset)
}

/// Line numbers of many offsets in one text, without rescanning it.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter_map(|(i, b)| (b == b'\n').then_some(i + 1)),
        );
        LineIndex { starts }
    }

    /// 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}
