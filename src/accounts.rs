//! Accounts of `serve`'s web interface: logins with argon2id password
//! hashes, sessions kept as hashes of random tokens, and login rate
//! limiting. An admin sees and does everything; an operator account sees
//! only the sites whose `operator` is its operator name.

use crate::error::{Error, InputError};
use crate::store::Store;
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a session lasts without logging in again.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Failed logins (per login, and per address) before a lock-out.
pub const MAX_FAILURES: usize = 5;
/// How long failures count, and how long a lock-out lasts.
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    /// Sees only the sites of this operator name.
    Operator(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub login: String,
    pub role: Role,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// May this account see a site run by `operator`?
    pub fn sees(&self, operator: &str) -> bool {
        match &self.role {
            Role::Admin => true,
            Role::Operator(name) => name == operator,
        }
    }

    /// "admin" or "operator 区教育局办公室".
    pub fn describe(&self) -> String {
        match &self.role {
            Role::Admin => "admin".into(),
            Role::Operator(name) => format!("operator {name}"),
        }
    }
}

/// An argon2id hash (PHC string, random salt) of a password.
pub fn hash_password(password: &str) -> Result<String, Error> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Failed(format!("cannot hash the password: {e}")))
}

/// Does `password` match a stored hash?
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    let Ok(parsed) = argon2::password_hash::phc::PasswordHash::new(hash) else {
        return false;
    };
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A login name: 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
pub fn check_login(login: &str) -> Result<(), InputError> {
    let ok = !login.is_empty()
        && login.len() <= 64
        && login
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(InputError::plain(format!(
            "login {login:?}: use 1 to 64 letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

/// Add an account (a login taken is refused).
pub fn add_user(store: &Store, login: &str, role: &Role, password: &str) -> Result<(), Error> {
    check_login(login)?;
    if password.chars().count() < 8 {
        return Err(InputError::plain("the password needs at least 8 characters").into());
    }
    if let Role::Operator(name) = role {
        if name.trim().is_empty() {
            return Err(InputError::plain("--operator needs a name").into());
        }
    }
    if find_user(store, login)?.is_some() {
        return Err(InputError::plain(format!("login {login} exists; remove it first")).into());
    }
    let hash = hash_password(password)?;
    let (role_name, operator) = match role {
        Role::Admin => ("admin", None),
        Role::Operator(n) => ("operator", Some(n.as_str())),
    };
    store
        .conn()
        .execute(
            "INSERT INTO users (login, role, operator, hash, created) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![login, role_name, operator, hash, crate::time::now_rfc3339()],
        )
        .map(|_| ())
        .map_err(|e| store.failed(e))
}

fn role_of(role: &str, operator: Option<String>) -> Role {
    match (role, operator) {
        ("operator", Some(name)) => Role::Operator(name),
        ("admin", _) => Role::Admin,
        // An unknown role sees nothing it should not: an operator of no one.
        _ => Role::Operator(String::new()),
    }
}

pub fn find_user(store: &Store, login: &str) -> Result<Option<(User, String)>, Error> {
    store
        .conn()
        .query_row(
            "SELECT login, role, operator, hash FROM users WHERE login = ?1",
            params![login],
            |r| {
                Ok((
                    User {
                        login: r.get(0)?,
                        role: role_of(&r.get::<_, String>(1)?, r.get(2)?),
                    },
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()
        .map_err(|e| store.failed(e))
}

/// Every account, by login.
pub fn list_users(store: &Store) -> Result<Vec<User>, Error> {
    let mut st = store
        .conn()
        .prepare("SELECT login, role, operator FROM users ORDER BY login")
        .map_err(|e| store.failed(e))?;
    let rows = st
        .query_map([], |r| {
            Ok(User {
                login: r.get(0)?,
                role: role_of(&r.get::<_, String>(1)?, r.get(2)?),
            })
        })
        .map_err(|e| store.failed(e))?;
    rows.collect::<Result<_, _>>().map_err(|e| store.failed(e))
}

/// Remove an account and end its sessions. False when there was none.
pub fn remove_user(store: &Store, login: &str) -> Result<bool, Error> {
    let n = store
        .conn()
        .execute("DELETE FROM users WHERE login = ?1", params![login])
        .map_err(|e| store.failed(e))?;
    store
        .conn()
        .execute("DELETE FROM sessions WHERE login = ?1", params![login])
        .map_err(|e| store.failed(e))?;
    Ok(n > 0)
}

pub fn count_users(store: &Store) -> Result<usize, Error> {
    store
        .conn()
        .query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))
        .map(|n| n as usize)
        .map_err(|e| store.failed(e))
}

/// Does the database at `db` hold any account? (A missing or unreadable
/// database holds none.)
pub fn any_account(db: &std::path::Path) -> bool {
    db.is_file()
        && Store::open(db)
            .and_then(|s| count_users(&s))
            .is_ok_and(|n| n > 0)
}

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random numbers");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A session: the cookie's token (only its hash is stored) and the CSRF
/// token of its forms.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub csrf: String,
}

pub fn create_session(store: &Store, login: &str) -> Result<Session, Error> {
    let session = Session {
        token: random_token(),
        csrf: random_token(),
    };
    let now = unix_now();
    let conn = store.conn();
    conn.execute("DELETE FROM sessions WHERE expires < ?1", params![now])
        .map_err(|e| store.failed(e))?;
    conn.execute(
        "INSERT INTO sessions (token_hash, login, csrf, expires) VALUES (?1, ?2, ?3, ?4)",
        params![
            token_hash(&session.token),
            login,
            session.csrf,
            now + SESSION_TTL.as_secs() as i64
        ],
    )
    .map_err(|e| store.failed(e))?;
    Ok(session)
}

/// The account and CSRF token of a live session.
pub fn session_user(store: &Store, token: &str) -> Result<Option<(User, String)>, Error> {
    store
        .conn()
        .query_row(
            "SELECT u.login, u.role, u.operator, s.csrf FROM sessions s JOIN users u ON u.login = s.login
             WHERE s.token_hash = ?1 AND s.expires >= ?2",
            params![token_hash(token), unix_now()],
            |r| {
                Ok((
                    User {
                        login: r.get(0)?,
                        role: role_of(&r.get::<_, String>(1)?, r.get(2)?),
                    },
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()
        .map_err(|e| store.failed(e))
}

pub fn end_session(store: &Store, token: &str) -> Result<(), Error> {
    store
        .conn()
        .execute(
            "DELETE FROM sessions WHERE token_hash = ?1",
            params![token_hash(token)],
        )
        .map(|_| ())
        .map_err(|e| store.failed(e))
}

/// Compare two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Failed logins per login name and per client address: after
/// [`MAX_FAILURES`] within [`LOCKOUT`], further tries are refused (even
/// with the right password) until the oldest failure is [`LOCKOUT`] old.
#[derive(Default)]
pub struct RateLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl RateLimiter {
    fn keys(login: &str, addr: &str) -> [String; 2] {
        [format!("login:{login}"), format!("addr:{addr}")]
    }

    /// Is a login from `addr` as `login` refused now?
    pub fn locked(&self, login: &str, addr: &str, now: Instant) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        Self::keys(login, addr).iter().any(|k| {
            let list = map.entry(k.clone()).or_default();
            list.retain(|t| now.duration_since(*t) < LOCKOUT);
            list.len() >= MAX_FAILURES
        })
    }

    pub fn failed(&self, login: &str, addr: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in Self::keys(login, addr) {
            map.entry(k).or_default().push(now);
        }
        // Bounded: a flood of made-up logins cannot grow it without end.
        if map.len() > 100_000 {
            map.retain(|_, l| l.iter().any(|t| now.duration_since(*t) < LOCKOUT));
        }
    }

    /// A successful login clears that login's failures (not the address's).
    pub fn succeeded(&self, login: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("login:{login}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("correct horsf", &a));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn accounts_sessions_and_visibility() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        add_user(&store, "root", &Role::Admin, "password1").unwrap();
        let op = Role::Operator("区教育局".into());
        add_user(&store, "edu", &op, "password2").unwrap();
        assert!(add_user(&store, "edu", &op, "password2").is_err());
        assert!(add_user(&store, "short", &op, "1234567").is_err());
        assert!(add_user(&store, "bad login", &op, "password2").is_err());
        assert_eq!(list_users(&store).unwrap().len(), 2);
        let s = create_session(&store, "edu").unwrap();
        let (u, csrf) = session_user(&store, &s.token).unwrap().unwrap();
        assert_eq!(csrf, s.csrf);
        assert!(u.sees("区教育局") && !u.sees("区卫健委"));
        assert!(session_user(&store, "nope").unwrap().is_none());
        // Only the hash of the token is stored.
        let stored: String = store
            .conn()
            .query_row("SELECT token_hash FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, s.token);
        assert!(remove_user(&store, "edu").unwrap());
        assert!(session_user(&store, &s.token).unwrap().is_none());
        assert!(!remove_user(&store, "edu").unwrap());
    }

    #[test]
    fn five_failures_lock_a_login_and_an_address_for_15_minutes() {
        let r = RateLimiter::default();
        let t = Instant::now();
        for _ in 0..MAX_FAILURES {
            assert!(!r.locked("a", "1.1.1.1", t));
            r.failed("a", "1.1.1.1", t);
        }
        assert!(r.locked("a", "2.2.2.2", t), "per login");
        assert!(r.locked("b", "1.1.1.1", t), "per address");
        assert!(!r.locked("b", "2.2.2.2", t));
        assert!(!r.locked("a", "2.2.2.2", t + LOCKOUT));
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
