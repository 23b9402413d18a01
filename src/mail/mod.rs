//! E-mail: the SMTP mailer, signed one-click unsubscribe links, and the
//! outbox worker that sends alert e-mails (and, in `accounts.rs`, password
//! reset e-mails) outside any request.

pub mod accounts;
mod invitation;
pub mod worker;

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;

/// Why an e-mail could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("no mail server is configured (set SMTP_URL)")]
    NotConfigured,
    #[error("invalid address '{0}'")]
    Address(String),
    #[error("invalid SMTP_URL: {0}")]
    Url(String),
    #[error("could not build the e-mail: {0}")]
    Build(String),
    #[error("the mail server refused or could not be reached: {0}")]
    Smtp(String),
}

/// Sends e-mail over SMTP (plain, STARTTLS or TLS, with optional auth, as the
/// `SMTP_URL` says).
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for the configured server (none when `SMTP_URL` is unset).
    ///
    /// # Errors
    /// An invalid `SMTP_URL` or `EMAIL_FROM`.
    pub fn new(config: &Config) -> Result<Self, MailError> {
        let from: Mailbox = config
            .email_from
            .parse()
            .map_err(|_| MailError::Address(config.email_from.clone()))?;
        let transport = match &config.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&url.0)
                    .map_err(|e| MailError::Url(e.to_string()))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => None,
        };
        Ok(Self { transport, from })
    }

    /// Whether a mail server is configured.
    #[must_use]
    pub fn is_configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Connects to the mail server as a delivery would (TLS and login as
    /// configured) and says hello, without sending anything.
    ///
    /// # Errors
    /// Why the server could not be reached or refused us.
    pub async fn check(&self) -> Result<(), MailError> {
        let transport = self.transport.as_ref().ok_or(MailError::NotConfigured)?;
        match transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(MailError::Smtp(
                "the server did not answer our hello".to_owned(),
            )),
            Err(e) => Err(MailError::Smtp(e.to_string())),
        }
    }

    /// Sends one e-mail with a plain-text and an HTML part.
    ///
    /// # Errors
    /// A bad address, or the server refused or was unreachable.
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        text: String,
        html: Option<String>,
    ) -> Result<(), MailError> {
        let transport = self.transport.as_ref().ok_or(MailError::NotConfigured)?;
        let to: Mailbox = to.parse().map_err(|_| MailError::Address(to.to_owned()))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject);
        let message = match html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(text, html)),
            None => builder.header(ContentType::TEXT_PLAIN).body(text),
        }
        .map_err(|e| MailError::Build(e.to_string()))?;
        transport
            .send(message)
            .await
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        Ok(())
    }
}

/// Signs and checks the one-click unsubscribe links, with a key kept in the
/// database so every node agrees.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    /// A signer with `key`.
    #[must_use]
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, room_id: i64, user_id: i64) -> Hmac<sha2::Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!());
        mac.update(format!("unsubscribe:{room_id}:{user_id}").as_bytes());
        mac
    }

    /// The token that lets anyone holding it turn off `user_id`'s e-mail
    /// alerts in `room_id`, and nothing else.
    #[must_use]
    pub fn unsubscribe_token(&self, room_id: i64, user_id: i64) -> String {
        self.mac(room_id, user_id)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `token` is the one for this room and user (constant-time).
    #[must_use]
    pub fn check(&self, room_id: i64, user_id: i64, token: &str) -> bool {
        let Some(bytes) = decode_hex(token) else {
            return false;
        };
        self.mac(room_id, user_id).verify_slice(&bytes).is_ok()
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 128 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_room_and_user() {
        let s = Signer::new(b"key");
        let t = s.unsubscribe_token(1, 2);
        assert!(s.check(1, 2, &t));
        assert!(!s.check(1, 3, &t));
        assert!(!s.check(2, 2, &t));
        assert!(!s.check(1, 2, "00"));
        assert!(!s.check(1, 2, "zz"));
        assert!(!Signer::new(b"other key").check(1, 2, &t));
    }
}
