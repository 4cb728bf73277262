//! `sitesweep user add|list|remove`: accounts of `serve`'s web interface.

use super::exit;
use sitesweep::accounts::{self, Role};
use sitesweep::error::{Error, InputError};
use sitesweep::store::Store;
use std::io::{BufRead, IsTerminal};
use std::path::Path;

/// Read the password: from stdin with `--password-stdin` (first line), else
/// prompted twice on the terminal without echo.
fn read_password(from_stdin: bool) -> Result<String, Error> {
    let stdin = std::io::stdin();
    if from_stdin {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| InputError::plain(format!("cannot read the password: {e}")))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    if !stdin.is_terminal() {
        return Err(InputError::plain(
            "stdin is not a terminal: give the password on stdin with --password-stdin",
        )
        .into());
    }
    let ask = |prompt: &str| -> Result<String, Error> {
        eprint!("{prompt}");
        let echo_off = std::process::Command::new("stty")
            .arg("-echo")
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success());
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line);
        if echo_off {
            let _ = std::process::Command::new("stty")
                .arg("echo")
                .stdin(std::process::Stdio::inherit())
                .status();
        }
        eprintln!();
        read.map_err(|e| InputError::plain(format!("cannot read the password: {e}")))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    };
    let first = ask("password: ")?;
    let second = ask("again: ")?;
    if first != second {
        return Err(InputError::plain("the two passwords differ").into());
    }
    Ok(first)
}

pub fn add(
    db: &Path,
    login: &str,
    admin: bool,
    operator: Option<String>,
    password_stdin: bool,
) -> Result<u8, Error> {
    let role = match (admin, operator) {
        (true, None) => Role::Admin,
        (false, Some(name)) => Role::Operator(name),
        _ => {
            return Err(InputError::plain("give either --admin or --operator NAME").into());
        }
    };
    accounts::check_login(login)?;
    let password = read_password(password_stdin)?;
    let store = Store::open(db)?;
    accounts::add_user(&store, login, &role, &password)?;
    println!(
        "added {login} ({}) to {}",
        match &role {
            Role::Admin => "admin: sees everything".to_string(),
            Role::Operator(n) => format!("operator: sees the sites of {n}"),
        },
        db.display()
    );
    Ok(exit::OK)
}

pub fn list(db: &Path) -> Result<u8, Error> {
    let store = Store::open(db)?;
    for u in accounts::list_users(&store)? {
        println!("{}\t{}", u.login, super::terminal_safe(&u.describe()));
    }
    Ok(exit::OK)
}

pub fn remove(db: &Path, login: &str) -> Result<u8, Error> {
    let store = Store::open(db)?;
    if accounts::remove_user(&store, login)? {
        println!("removed {login} and ended its sessions");
        Ok(exit::OK)
    } else {
        Err(InputError::plain(format!("no account {login} in {}", db.display())).into())
    }
}
