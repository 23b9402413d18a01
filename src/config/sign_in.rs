//! Who signs people in, when it is not Conversate's own login form: a
//! host site's or front-end's login page, trusted proxy headers, an OpenID
//! provider.

use axum::http::HeaderName;

use super::values::Values;
use super::{ConfigError, Network, Token, unless_empty};

/// Sign-in settings.
#[derive(Debug, Clone, Default)]
pub struct SignIn {
    /// Where visitors who are not logged in are sent instead of the login
    /// form, with `next=` the page they asked for (`LOGIN_URL`).
    pub login_url: Option<String>,
    /// Trusted proxy headers (`PROXY_AUTH_*`); on when `from` is not empty.
    pub proxy: ProxyAuth,
    /// OpenID Connect sign-in (`OIDC_*`), when an issuer is set.
    pub oidc: Option<Oidc>,
}

/// Trusted proxy headers.
#[derive(Debug, Clone)]
pub struct ProxyAuth {
    /// The front-ends whose headers are believed (`PROXY_AUTH_FROM`).
    pub from: Vec<Network>,
    /// The header naming the user (`PROXY_AUTH_USER_HEADER`).
    pub user_header: HeaderName,
    /// The header with the user's e-mail (`PROXY_AUTH_EMAIL_HEADER`).
    pub email_header: Option<HeaderName>,
    /// The header with the user's display name (`PROXY_AUTH_NAME_HEADER`).
    pub name_header: Option<HeaderName>,
}

impl Default for ProxyAuth {
    fn default() -> Self {
        Self {
            from: Vec::new(),
            user_header: HeaderName::from_static("remote-user"),
            email_header: Some(HeaderName::from_static("remote-email")),
            name_header: Some(HeaderName::from_static("remote-name")),
        }
    }
}

/// Which claim of the ID token names the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchClaim {
    /// `preferred_username`: the account of that username.
    PreferredUsername,
    /// `email` (only when the provider says it is verified): the account
    /// with that address, or a new one named after its local part.
    Email,
    /// `sub`: never an existing account; a new one named after
    /// `preferred_username`.
    Sub,
}

/// OpenID Connect sign-in.
#[derive(Debug, Clone)]
pub struct Oidc {
    /// The issuer URL (`OIDC_ISSUER`); discovery is read from it.
    pub issuer: String,
    /// The client id (`OIDC_CLIENT_ID`).
    pub client_id: String,
    /// The client secret (`OIDC_CLIENT_SECRET`).
    pub client_secret: Option<Token>,
    /// The claim accounts are matched or made by (`OIDC_MATCH_CLAIM`).
    pub match_claim: MatchClaim,
    /// Rooms a newly made account joins (`OIDC_AUTO_JOIN`).
    pub auto_join: Vec<String>,
    /// Whether the password login form is gone (`SSO_ONLY`).
    pub sso_only: bool,
    /// The label of the sign-in button (`OIDC_LABEL`).
    pub label: String,
}

fn header(text: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(text.trim().as_bytes())
        .map_err(|_| format!("'{text}' is not a header name"))
}

fn optional_header(text: &str) -> Result<Option<HeaderName>, String> {
    unless_empty(text.trim(), header)
}

impl SignIn {
    pub(super) fn read(v: &mut Values) -> Result<Self, ConfigError> {
        let login_url = v.given("LOGIN_URL", |url| {
            unless_empty(url, |url| {
                if url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/')
                {
                    Ok(url.to_owned())
                } else {
                    Err("must be a path (/login/) or start with http:// or https://".to_owned())
                }
            })
        })?;
        let proxy = ProxyAuth {
            from: v.value("PROXY_AUTH_FROM", Network::parse_list)?,
            user_header: v.value("PROXY_AUTH_USER_HEADER", header)?,
            email_header: v.value("PROXY_AUTH_EMAIL_HEADER", optional_header)?,
            name_header: v.value("PROXY_AUTH_NAME_HEADER", optional_header)?,
        };
        let issuer = v.given("OIDC_ISSUER", |url| {
            unless_empty(url, |url| {
                if url.starts_with("http://") || url.starts_with("https://") {
                    Ok(url.trim_end_matches('/').to_owned())
                } else {
                    Err("must start with http:// or https://".to_owned())
                }
            })
        })?;
        let client_id = v.given("OIDC_CLIENT_ID", |id| {
            unless_empty(id, |id| Ok(id.to_owned()))
        })?;
        let client_secret = v.given("OIDC_CLIENT_SECRET", |secret| {
            unless_empty(secret, |secret| Ok(Token(secret.to_owned())))
        })?;
        let match_claim = v.choice("OIDC_MATCH_CLAIM", |word| match word {
            "preferred_username" => Some(MatchClaim::PreferredUsername),
            "email" => Some(MatchClaim::Email),
            "sub" => Some(MatchClaim::Sub),
            _ => None,
        })?;
        let auto_join = v.value("OIDC_AUTO_JOIN", |list| {
            Ok(list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>())
        })?;
        let sso_only = v.flag("SSO_ONLY")?;
        let label = v.value("OIDC_LABEL", |label| Ok(label.trim().to_owned()))?;
        let oidc = match (issuer, client_id) {
            (Some(issuer), Some(client_id)) => Some(Oidc {
                issuer,
                client_id,
                client_secret,
                match_claim,
                auto_join,
                sso_only,
                label,
            }),
            (Some(_), None) => {
                return Err(super::values::bad(
                    "OIDC_CLIENT_ID",
                    "must be set when OIDC_ISSUER is",
                ));
            }
            (None, _) if sso_only => {
                return Err(super::values::bad(
                    "SSO_ONLY",
                    "needs OIDC_ISSUER and OIDC_CLIENT_ID",
                ));
            }
            (None, _) => None,
        };
        Ok(Self {
            login_url,
            proxy,
            oidc,
        })
    }
}
