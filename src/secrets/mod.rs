//! Credentials: generated from the OS CSPRNG, stored under `.dbps/` (directory
//! 0700, files 0600, written atomically), reused by every later `up`, and handed to
//! a service only through its own `.env`.

mod dotenv;
mod store;

pub use dotenv::{check_env_targets, ensure_gitignored, render_env, write_env};
pub use store::{Store, StoreError};

use std::fmt;

use crate::engine::Engine;

/// Length of generated passwords; alphanumeric, so about 5.95 bits each (≈285 bits).
pub const PASSWORD_LEN: usize = 48;
/// Shortest stored password accepted: 16 characters, about 95 bits when generated.
pub const MIN_PASSWORD_LEN: usize = 16;
/// Longest stored password accepted.
pub const MAX_PASSWORD_LEN: usize = 256;
/// Characters a stored password may not hold besides whitespace and controls:
/// each is special in one of the places a password travels (SQL string literals,
/// awk replacements, shell double quotes).
const UNSAFE_PASSWORD_CHARS: &[char] = &['\'', '"', '\\', '`', '&', '$'];

/// Stored credentials dbps would never have generated. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Weakness {
    /// A password under [`MIN_PASSWORD_LEN`] characters.
    #[error("stored {which} of `{service}` is too short ({len} character{plural}; dbps needs at least {MIN_PASSWORD_LEN})", plural = if *len == 1 { "" } else { "s" })]
    Short {
        /// `password` or `administrator password`.
        which: &'static str,
        /// The service.
        service: String,
        /// Its length.
        len: usize,
    },
    /// A password over [`MAX_PASSWORD_LEN`] characters.
    #[error("stored {which} of `{service}` is longer than {MAX_PASSWORD_LEN} characters")]
    Long {
        /// `password` or `administrator password`.
        which: &'static str,
        /// The service.
        service: String,
    },
    /// A password with a character outside the accepted set.
    #[error(
        "stored {which} of `{service}` has a character dbps does not accept (only printable ASCII without spaces, quotes, `\\`, `&` and `$`)"
    )]
    Character {
        /// `password` or `administrator password`.
        which: &'static str,
        /// The service.
        service: String,
    },
    /// A user name that is not a plain name.
    #[error(
        "stored user name `{user}` of `{service}` is not a plain name (letters, digits, `_` and `-`, at most 63)"
    )]
    User {
        /// The service.
        service: String,
        /// The name (user names are not secret).
        user: String,
    },
}

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

    /// Check stored credentials: plain user names, and passwords of a sane length
    /// made of characters that are safe everywhere a password travels.
    pub fn check(&self, service: &str) -> Result<(), Weakness> {
        for user in [&self.user, &self.admin_user] {
            let plain = !user.is_empty()
                && user.len() <= 63
                && user
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !plain {
                return Err(Weakness::User {
                    service: service.to_string(),
                    user: user.chars().take(64).collect(),
                });
            }
        }
        for (which, password) in [
            ("password", &self.password),
            ("administrator password", &self.admin_password),
        ] {
            let service = service.to_string();
            let len = password.chars().count();
            if len < MIN_PASSWORD_LEN {
                return Err(Weakness::Short {
                    which,
                    service,
                    len,
                });
            }
            if len > MAX_PASSWORD_LEN {
                return Err(Weakness::Long { which, service });
            }
            let safe = |c: char| c.is_ascii_graphic() && !UNSAFE_PASSWORD_CHARS.contains(&c);
            if !password.chars().all(safe) {
                return Err(Weakness::Character { which, service });
            }
        }
        Ok(())
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
    fn stored_credentials_must_be_ones_dbps_could_have_made() {
        let engine = Engine::parse("postgres").unwrap();
        let good = Credentials::generate("users", engine).unwrap();
        assert_eq!(good.check("users"), Ok(()));
        let with = |password: &str| Credentials {
            password: password.to_string(),
            ..good.clone()
        };
        let short = |len| Weakness::Short {
            which: "password",
            service: "users".into(),
            len,
        };
        assert_eq!(with("").check("users"), Err(short(0)));
        assert_eq!(with("x").check("users"), Err(short(1)));
        assert_eq!(with(&"y".repeat(15)).check("users"), Err(short(15)));
        assert!(with(&"y".repeat(16)).check("users").is_ok());
        assert!(with("p@ss:w/rd%?#[]-._~!*+,;=").check("users").is_ok());
        for bad in [
            "has space inside it",
            "quote'quote'quote'",
            "amp&amp&amp&amp&amp",
            "caf\u{e9}caf\u{e9}caf\u{e9}caf\u{e9}",
        ] {
            assert!(
                matches!(with(bad).check("users"), Err(Weakness::Character { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            with(&"z".repeat(257)).check("users"),
            Err(Weakness::Long { .. })
        ));
        let bad_user = Credentials {
            user: "a b".into(),
            ..good.clone()
        };
        assert!(matches!(
            bad_user.check("users"),
            Err(Weakness::User { .. })
        ));
        let shown = with("tooshort").check("users").unwrap_err().to_string();
        assert!(!shown.contains("tooshort"), "{shown}");
    }

    #[test]
    fn redaction() {
        assert_eq!(redact("pw=abcdef x", &["abcdef"]), "pw=******** x");
    }
}
