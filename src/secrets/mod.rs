//! Credentials: generated from the OS CSPRNG, stored under `.dbps/` (directory
//! 0700, files 0600, written atomically), reused by every later `up`, and handed to
//! a service only through its own `.env`.

mod dotenv;
mod store;

pub use dotenv::{ensure_gitignored, render_env, write_env};
pub use store::Store;

use std::fmt;

use crate::engine::Engine;

/// Length of generated passwords; alphanumeric, so about 5.95 bits each (≈285 bits).
pub const PASSWORD_LEN: usize = 48;

/// One service's credentials: its own user, and an administrator it never receives.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Credentials {
    /// The service's user (also its database's owner).
    pub user: String,
    /// The service's password.
    pub password: String,
    /// The administrator user, used by dbps only.
    pub admin_user: String,
    /// The administrator password.
    pub admin_password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("admin_user", &self.admin_user)
            .field("admin_password", &"<redacted>")
            .finish()
    }
}

/// The administrator user name for an engine.
pub fn admin_user(engine: Engine) -> &'static str {
    match engine.name() {
        "mysql" | "mariadb" => "root",
        "redis" => "dbps-admin",
        _ => "dbps_admin",
    }
}

impl Credentials {
    /// Fresh credentials for a service user.
    pub fn generate(user: &str, engine: Engine) -> Result<Credentials, getrandom::Error> {
        Ok(Credentials {
            user: user.to_string(),
            password: generate_password()?,
            admin_user: admin_user(engine).to_string(),
            admin_password: generate_password()?,
        })
    }

    /// Fixed credentials: for tests, and as a stand-in when planning before any
    /// exist (planning never needs a secret's value).
    pub fn fixed(user: &str, password: &str, engine: Engine) -> Credentials {
        Credentials {
            user: user.to_string(),
            password: password.to_string(),
            admin_user: admin_user(engine).to_string(),
            admin_password: format!("admin-{password}"),
        }
    }

    /// A short, non-reversible fingerprint of both passwords, to notice a change.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!(
            "{}\0{}\0{}",
            self.user, self.password, self.admin_password
        ));
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// Both secrets, for redacting text before it is shown.
    pub fn secrets(&self) -> [&str; 2] {
        [&self.password, &self.admin_password]
    }
}

/// A random alphanumeric password from the OS CSPRNG, without modulo bias.
pub fn generate_password() -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(PASSWORD_LEN);
    let mut buf = [0u8; 64];
    while out.len() < PASSWORD_LEN {
        getrandom::fill(&mut buf)?;
        for b in buf {
            // 248 = 4 × 62: rejecting bytes ≥ 248 keeps every character equally likely.
            if b < 248 && out.len() < PASSWORD_LEN {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

/// Replace every secret in `text` with `********`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(*s, "********");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_alphanumeric_and_distinct() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.len(), PASSWORD_LEN);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn debug_never_shows_passwords() {
        let c = Credentials::fixed("u", "hunter2hunter2", Engine::parse("postgres").unwrap());
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("\"u\""));
    }

    #[test]
    fn redaction() {
        assert_eq!(redact("pw=abcdef x", &["abcdef"]), "pw=******** x");
    }
}
