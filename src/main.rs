//! Command-line entry: parse flags, call the library, turn the outcome into
//! an exit code. No logic lives here.

use clap::{Args, Parser, Subcommand};
use sitesweep::commands::{self, ExplainInput};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "sitesweep",
    version,
    about = "Self-inspection scanner for registered websites: dark links, spam, fraud ads, leaked personal data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with rule packs: test, lint, explain, init.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Args)]
struct RulesDir {
    /// Rule pack directory (default: rules/ here, else the built-in packs).
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Run every rule's own `tests`; exit 1 when any fails.
    Test {
        #[command(flatten)]
        dir: RulesDir,
    },
    /// Check packs (exit 2 on an error) and warn about risky terms.
    Lint {
        #[command(flatten)]
        dir: RulesDir,
    },
    /// Show every hit in a text, and every match that was dropped and why.
    Explain {
        /// The text to explain.
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        text: Option<String>,
        /// A file whose text to explain.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        #[command(flatten)]
        dir: RulesDir,
    },
    /// Write the built-in packs into DIR for editing.
    Init {
        /// Directory to create (must not hold the pack files already).
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Rules { command } => match command {
            RulesCommand::Test { dir } => commands::rules_test(dir.rules.as_deref()),
            RulesCommand::Lint { dir } => commands::rules_lint(dir.rules.as_deref()),
            RulesCommand::Explain { text, file, dir } => {
                let input = match (text, file) {
                    (Some(t), _) => ExplainInput::Text(t),
                    (None, Some(f)) => ExplainInput::File(f),
                    (None, None) => unreachable!("clap requires --text or --file"),
                };
                commands::rules_explain(input, dir.rules.as_deref())
            }
            RulesCommand::Init { dir } => commands::rules_init(&dir),
        },
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}
