//! Readiness: waiting until a database accepts the service's own credentials, and
//! the one-shot health check `status` shows. Both run the [`ServiceSpec`]'s probe
//! (a real query over TCP) inside the container; output shown is always redacted.

use std::time::{Duration, Instant};

use anyhow::bail;

use super::desired::ServiceSpec;
use crate::docker::{ContainerState, Docker};
use crate::secrets::redact;

/// Wait until the database in container `id` accepts `s`'s own credentials over
/// TCP, running `s`'s bootstrap first where it has one; fail on a crash or after
/// `timeout`, with the container's last log lines.
pub async fn wait_ready(
    docker: &Docker,
    id: &str,
    s: &ServiceSpec,
    timeout: Duration,
) -> anyhow::Result<()> {
    let mut wait = Waiting {
        bootstrapped: s.bootstrap.is_none(),
        last_error: None,
    };
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(100);
    let restarts_before = docker.inspect(id).await?.restarts;
    loop {
        let status = docker.inspect(id).await?;
        let running = status.state == ContainerState::Running;
        // The restart policy would hide a crash loop: a restart while we wait for the
        // first readiness is a failed start-up.
        if status.state == ContainerState::Stopped || status.restarts > restarts_before {
            let logs = last_logs(docker, id, s).await;
            bail!(
                "its database container `{}` exited during start-up (exit code {})\n  last log lines:\n{logs}",
                s.container,
                status
                    .exit_code
                    .map_or_else(|| "unknown".into(), |c| c.to_string()),
            );
        }
        // Until the server answers on its published port, a `docker exec` probe
        // (costly on a busy machine) cannot succeed: poll the cheap wire check first.
        if let (false, Some(hello), Some(port)) = (
            wait.bootstrapped,
            s.engine.spec().wire_hello(),
            status.host_port,
        ) && running
            && !answers(port, hello).await
        {
            if Instant::now() >= deadline {
                wait.last_error = Some(format!("nothing answers on 127.0.0.1:{port}"));
            } else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        }
        // While the container restarts (an image's first-run initialisation may do
        // that), commands cannot run in it: keep waiting until the deadline.
        if running && wait.attempt(docker, id, s).await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "its database did not accept the service's credentials within {} s ({})\n  last log lines:\n{}",
                timeout.as_secs(),
                wait.describe(),
                last_logs(docker, id, s).await
            );
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 3 / 2).min(Duration::from_millis(750));
    }
}

/// Whether the database in the running container `id` accepts `s`'s credentials
/// now (`Err` when the check itself could not run).
pub async fn check(
    docker: &Docker,
    id: &str,
    s: &ServiceSpec,
) -> Result<bool, crate::docker::DockerError> {
    docker
        .exec(id, &s.probe)
        .await
        .map(|o| o.exit_code == Some(0))
}

/// Where a wait for readiness stands.
struct Waiting {
    bootstrapped: bool,
    last_error: Option<String>,
}

impl Waiting {
    /// Run the bootstrap (until it has succeeded once) and the probe; true when the
    /// probe passed.
    async fn attempt(&mut self, docker: &Docker, id: &str, s: &ServiceSpec) -> bool {
        if let (false, Some(b)) = (self.bootstrapped, &s.bootstrap) {
            // Set-up and probe in one `docker exec` where the engine allows.
            if let Some(both) = b.and_then(&s.probe) {
                match docker.exec(id, &both).await {
                    Ok(out) if out.exit_code == Some(0) => return true,
                    Ok(_) => {}
                    Err(e) => self.last_error = Some(e.to_string()),
                }
            } else {
                match docker.exec(id, b).await {
                    Ok(out) => self.bootstrapped = out.exit_code == Some(0),
                    Err(e) => self.last_error = Some(e.to_string()),
                }
            }
        }
        if self.bootstrapped {
            match docker.exec(id, &s.probe).await {
                Ok(out) if out.exit_code == Some(0) => return true,
                Ok(_) => {}
                Err(e) => self.last_error = Some(e.to_string()),
            }
        }
        false
    }

    /// How far it got, for the timeout message.
    fn describe(&self) -> String {
        format!(
            "{}{}",
            if self.bootstrapped {
                "set-up done, probe failing"
            } else {
                "set-up not yet possible"
            },
            self.last_error
                .as_ref()
                .map(|e| format!("; last error: {e}"))
                .unwrap_or_default()
        )
    }
}

/// The container's last log lines, redacted and indented for an error message.
async fn last_logs(docker: &Docker, id: &str, s: &ServiceSpec) -> String {
    let logs = docker.logs_tail(id, 20).await.unwrap_or_default();
    indent(&redact(&logs, &s.secrets()))
}

/// Whether a server on 127.0.0.1:`port` answers `hello` with at least one byte.
/// (Docker's port proxy accepts connections even when nothing listens behind it,
/// so a bare connect proves nothing; an answer does.)
async fn answers(port: u16, hello: &[u8]) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        if !hello.is_empty() {
            stream.write_all(hello).await.ok()?;
        }
        let mut byte = [0u8; 1];
        (stream.read(&mut byte).await.ok()? == 1).then_some(())
    };
    matches!(
        tokio::time::timeout(Duration::from_millis(500), attempt).await,
        Ok(Some(()))
    )
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_indented() {
        assert_eq!(indent("a\nb"), "    a\n    b");
        assert_eq!(indent(""), "");
    }

    #[test]
    fn the_timeout_message_says_how_far_it_got() {
        let mut w = Waiting {
            bootstrapped: false,
            last_error: None,
        };
        assert_eq!(w.describe(), "set-up not yet possible");
        w.bootstrapped = true;
        w.last_error = Some("exec failed".into());
        assert_eq!(
            w.describe(),
            "set-up done, probe failing; last error: exec failed"
        );
    }

    #[tokio::test]
    async fn a_silent_listener_does_not_answer() {
        // Docker's proxy accepts and then says nothing: that is not an answer.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hold = tokio::spawn(async move {
            let (_s, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(2)).await;
        });
        assert!(!answers(port, b"").await);
        hold.abort();
    }

    #[tokio::test]
    async fn a_server_that_replies_answers() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let serve = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut hello = [0u8; 4];
            s.read_exact(&mut hello).await.unwrap();
            s.write_all(b"+PONG\r\n").await.unwrap();
        });
        assert!(answers(port, b"PING").await);
        serve.await.unwrap();
    }
}
