//! Command-line entry: parse flags, call the library, turn the outcome into
//! an exit code. No logic lives here.

use clap::{Args, Parser, Subcommand, ValueEnum};
mod cli;

use cli::rules::ExplainInput;
use cli::scan::ScanArgs;
use sitesweep::evaluate::Split;
use sitesweep::rules::mine::SpamKind;
use sitesweep::severity::Severity;
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
    /// Crawl the register's sites and report findings.
    Scan {
        /// Site register, TOML or CSV.
        #[arg(default_value = "sites.toml")]
        sites: PathBuf,
        #[command(flatten)]
        dir: RulesDir,
        /// Scan history database.
        #[arg(long, default_value = "sitesweep.db", value_name = "FILE")]
        db: PathBuf,
        /// Ignore file (default: sitesweep.ignore.toml beside the register).
        #[arg(long, value_name = "FILE")]
        ignore: Option<PathBuf>,
        /// Stream every finding to FILE, one JSON object a line.
        #[arg(long, value_name = "FILE")]
        jsonl: Option<PathBuf>,
        /// Scan only this site (repeatable).
        #[arg(long = "site", value_name = "ID")]
        site: Vec<String>,
        /// Exit 1 when a finding is at or above this severity.
        #[arg(long, value_enum, value_name = "SEVERITY")]
        fail_on: Option<Level>,
        /// Sites crawled at once.
        #[arg(long, default_value_t = sitesweep::scan::DEFAULT_CONCURRENCY as u64, value_parser = clap::value_parser!(u64).range(1..=256))]
        concurrency: u64,
        /// No progress output.
        #[arg(long, short)]
        quiet: bool,
        /// Finish the last unfinished scan of --db instead of starting anew.
        #[arg(long)]
        resume: bool,
    },
    /// Write per-operator reports (HTML, CSV, JSON, Markdown) of a scan.
    Report {
        /// Scan history database.
        #[arg(long, default_value = "sitesweep.db", value_name = "FILE")]
        db: PathBuf,
        /// Which scan: an id, or `latest`.
        #[arg(long, default_value = "latest", value_name = "ID")]
        scan: String,
        /// One report per operator or per site.
        #[arg(long, value_enum, default_value = "operator")]
        by: ByArg,
        /// Formats, comma-separated: html,csv,json,md.
        #[arg(long, default_value = "html,csv,json,md")]
        format: String,
        /// Where to write.
        #[arg(long, default_value = "sitesweep-report", value_name = "DIR")]
        out: PathBuf,
        /// Report language.
        #[arg(long, value_enum, default_value = "zh")]
        lang: LangArg,
        /// Ignore file (default: sitesweep.ignore.toml beside the scan's register).
        #[arg(long, value_name = "FILE")]
        ignore: Option<PathBuf>,
    },
    /// Compare two scans (default: the last two).
    Diff {
        /// Scan history database.
        #[arg(long, default_value = "sitesweep.db", value_name = "FILE")]
        db: PathBuf,
        #[arg(long, value_name = "ID")]
        from: Option<String>,
        #[arg(long, value_name = "ID")]
        to: Option<String>,
        /// One JSON object a line, with `change`.
        #[arg(long)]
        json: bool,
    },
    /// Check a site register and probe each start URL.
    Sites {
        #[command(subcommand)]
        command: SitesCommand,
    },
    /// Serve built-in sample sites on 127.0.0.1 and scan them.
    Demo {
        /// Where to write the results.
        #[arg(long, default_value = "sitesweep-demo", value_name = "DIR")]
        out: PathBuf,
        /// Then serve the web interface on 127.0.0.1 with a demo admin and a service for
        /// re-scans and re-checks (register written to OUT/sites.toml), until Ctrl-C.
        #[arg(long)]
        serve: bool,
    },
    /// Accounts of serve's web interface.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The office service: run the register's schedules, probe home pages hourly, notify; the web interface.
    Serve {
        /// Site register, TOML or CSV.
        #[arg(default_value = "sites.toml")]
        sites: PathBuf,
        #[command(flatten)]
        dir: RulesDir,
        /// Scan history database.
        #[arg(long, default_value = "sitesweep.db", value_name = "FILE")]
        db: PathBuf,
        /// Where the web interface listens (loopback only until an account exists).
        #[arg(long, default_value = "127.0.0.1:8600", value_name = "ADDR")]
        listen: String,
        /// Sites crawled at once in a scan.
        #[arg(long, default_value_t = sitesweep::scan::DEFAULT_CONCURRENCY as u64, value_parser = clap::value_parser!(u64).range(1..=256))]
        concurrency: u64,
    },
    /// Work with rule packs: test, lint, explain, init, eval.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Level {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<Level> for Severity {
    fn from(l: Level) -> Severity {
        match l {
            Level::Info => Severity::Info,
            Level::Low => Severity::Low,
            Level::Medium => Severity::Medium,
            Level::High => Severity::High,
            Level::Critical => Severity::Critical,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ByArg {
    Operator,
    Site,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Zh,
    En,
}

#[derive(Subcommand)]
enum SitesCommand {
    /// Validate the register, then probe each start URL.
    Check {
        #[arg(default_value = "sites.toml")]
        sites: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account: an admin, or an operator account that sees its operator's sites only.
    Add {
        login: String,
        /// Sees and does everything.
        #[arg(long, conflicts_with = "operator")]
        admin: bool,
        /// Sees only the sites whose operator is NAME.
        #[arg(long, value_name = "NAME", required_unless_present = "admin")]
        operator: Option<String>,
        /// Read the password from the first line of stdin (else prompted without echo).
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, default_value = "sitesweep.db", value_name = "FILE")]
        db: PathBuf,
    },
    /// List the accounts.
    List {
        #[arg(long, default_value = "sitesweep.db", value_name = "FILE")]
        db: PathBuf,
    },
    /// Remove an account and end its sessions.
    Remove {
        login: String,
        #[arg(long, default_value = "sitesweep.db", value_name = "FILE")]
        db: PathBuf,
    },
}

#[derive(Args)]
struct RulesDir {
    /// Rule pack directory (default: rules/ beside the register, else the built-in packs).
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
    /// Show every hit in a text, file or page, and every match that was dropped and why.
    Explain {
        /// The text to explain.
        #[arg(long, group = "input")]
        text: Option<String>,
        /// A text or HTML file.
        #[arg(long, value_name = "FILE", group = "input")]
        file: Option<PathBuf>,
        /// A page to fetch.
        #[arg(long, value_name = "URL", group = "input")]
        url: Option<String>,
        #[command(flatten)]
        dir: RulesDir,
    },
    /// Write the built-in packs into DIR for editing.
    Init {
        /// Directory to create (must not hold the pack files already).
        dir: PathBuf,
    },
    /// Measure the rules on a labelled set of real pages (recall, false positives); exits 0.
    Eval {
        /// Directory with PROVENANCE.tsv (file, class, category, split) and the samples.
        set: PathBuf,
        #[command(flatten)]
        dir: RulesDir,
        /// Which samples the pages listed are about (the tables show every split). Held-out pages are listed only when asked for: reading them spends the split.
        #[arg(long, value_enum, default_value = "tune")]
        split: SplitArg,
        /// List every false-positive page, and the rules each caught or flagged sample hit.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Mine brand terms from collected spam texts or from a history's findings; prints a keywords file.
    Mine {
        /// Tab-separated file with the header source, kind, text (kind: gambling or porn).
        #[arg(required_unless_present = "db")]
        texts: Option<PathBuf>,
        /// Also mine the history: titles, meta descriptions and link texts of the kind's findings, each page a source.
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// Which texts to mine.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// A labelled set (as for `eval`): texts from its samples' sources are left out, and a term found on one of its legitimate tune pages is dropped.
        #[arg(long, value_name = "DIR")]
        against: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Gambling,
    Porn,
}

#[derive(Clone, Copy, ValueEnum)]
enum SplitArg {
    Tune,
    Heldout,
    All,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Scan {
            sites,
            dir,
            db,
            ignore,
            jsonl,
            site,
            fail_on,
            concurrency,
            quiet,
            resume,
        } => cli::scan::scan(ScanArgs {
            sites,
            rules: dir.rules,
            db,
            ignore,
            jsonl,
            site,
            fail_on: fail_on.map(Severity::from),
            concurrency: concurrency as usize,
            quiet,
            resume,
        }),
        Command::Sites {
            command: SitesCommand::Check { sites },
        } => cli::sites::sites_check(&sites),
        Command::Report {
            db,
            scan,
            by,
            format,
            out,
            lang,
            ignore,
        } => match format
            .split(',')
            .map(|f| {
                sitesweep::report::Format::parse(f.trim()).ok_or_else(|| {
                    sitesweep::InputError::plain(format!(
                        "--format {}: use html, csv, json or md",
                        f.trim()
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
        {
            Err(e) => Err(e.into()),
            Ok(formats) => cli::report::report(
                &db,
                &sitesweep::report::Options {
                    scan: Some(scan),
                    by: match by {
                        ByArg::Operator => sitesweep::report::By::Operator,
                        ByArg::Site => sitesweep::report::By::Site,
                    },
                    formats,
                    out,
                    lang: match lang {
                        LangArg::Zh => sitesweep::report::Lang::Zh,
                        LangArg::En => sitesweep::report::Lang::En,
                    },
                    ignore,
                    operators: None,
                    extra_ignore: Vec::new(),
                },
            ),
        },
        Command::Diff { db, from, to, json } => cli::report::diff(&db, from, to, json),
        Command::Demo { out, serve } => cli::demo::demo(&out, serve),
        Command::User { command } => match command {
            UserCommand::Add {
                login,
                admin,
                operator,
                password_stdin,
                db,
            } => cli::user::add(&db, &login, admin, operator, password_stdin),
            UserCommand::List { db } => cli::user::list(&db),
            UserCommand::Remove { login, db } => cli::user::remove(&db, &login),
        },
        Command::Serve {
            sites,
            dir,
            db,
            listen,
            concurrency,
        } => cli::serve::serve(cli::serve::ServeArgs {
            sites,
            db,
            listen,
            rules: dir.rules,
            concurrency: concurrency as usize,
        }),
        Command::Rules { command } => match command {
            RulesCommand::Test { dir } => cli::rules::rules_test(dir.rules.as_deref()),
            RulesCommand::Lint { dir } => cli::rules::rules_lint(dir.rules.as_deref()),
            RulesCommand::Explain {
                text,
                file,
                url,
                dir,
            } => {
                let input = match (text, file, url) {
                    (Some(t), _, _) => ExplainInput::Text(t),
                    (_, Some(f), _) => ExplainInput::File(f),
                    (_, _, Some(u)) => ExplainInput::Url(u),
                    _ => {
                        eprintln!("rules explain needs --text, --file or --url");
                        return ExitCode::from(cli::exit::BAD_INPUT);
                    }
                };
                cli::rules::rules_explain(input, dir.rules.as_deref())
            }
            RulesCommand::Init { dir } => cli::rules::rules_init(&dir),
            RulesCommand::Eval {
                set,
                dir,
                split,
                verbose,
            } => cli::rules::rules_eval(
                &set,
                dir.rules.as_deref(),
                match split {
                    SplitArg::Tune => Split::Tune,
                    SplitArg::Heldout => Split::Heldout,
                    SplitArg::All => Split::All,
                },
                verbose,
            ),
            RulesCommand::Mine {
                texts,
                db,
                kind,
                against,
            } => cli::rules::rules_mine(
                texts.as_deref(),
                db.as_deref(),
                match kind {
                    KindArg::Gambling => SpamKind::Gambling,
                    KindArg::Porn => SpamKind::Porn,
                },
                against.as_deref(),
            ),
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
