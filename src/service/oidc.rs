//! OpenID Connect sign-in: the authorization code flow with PKCE, through
//! the `openidconnect` crate (discovery, the token exchange, and the ID
//! token's checks: signature against the provider's keys, issuer,
//! audience, expiry, nonce). Unsigned tokens (`alg: none`) are refused by
//! that crate's verifier, which this module never loosens.
//!
//! What has to match between the two legs (state, nonce, PKCE verifier)
//! is kept in the visitor's session (see `web/session.rs`) and taken out
//! of it by the answer, so an answer can be used once: a replayed callback
//! finds nothing to match.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::config;
use crate::identity::HostUser;

/// How long a sign-in may take at the provider before its answer is no
/// longer accepted.
pub const PENDING_SECS: i64 = 600;

/// How long the provider's discovery document and keys are kept.
const METADATA_TTL: Duration = Duration::from_secs(3_600);

/// An HTTP request of the sign-in (discovery, keys, token), sent by the
/// site's outbound client.
pub type HttpFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Vec<u8>>, FetchError>> + Send>>;

/// Sends one request (see [`HttpFuture`]).
pub type Fetch = Arc<dyn Fn(http::Request<Vec<u8>>) -> HttpFuture + Send + Sync>;

/// Why a request to the provider failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// The outbound client as `openidconnect` calls it. Its futures own what
/// they need (`'static`), so the sign-in's futures stay `Send` for any
/// lifetime, as axum's handlers must be.
struct Client<'a>(&'a Fetch);

impl<'c> openidconnect::AsyncHttpClient<'c> for Client<'_> {
    type Error = FetchError;
    type Future = HttpFuture;

    fn call(&'c self, request: http::Request<Vec<u8>>) -> HttpFuture {
        (self.0)(request)
    }
}

/// What the provider's answer must match, kept in the session meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    /// The callback address the provider was given.
    redirect: String,
    /// Where to go after signing in.
    pub next: String,
    /// When the sign-in began, Unix seconds.
    started: i64,
}

/// Why a sign-in failed; the sentence is for the visitor, the detail for
/// the log.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The answer does not belong to a sign-in begun in this browser (a
    /// wrong or replayed `state`, or none begun).
    #[error("This sign-in answer does not match a sign-in started here. Please sign in again.")]
    Mismatch,
    /// The provider refused, or its answer failed a check.
    #[error("Single sign-on failed: the provider's answer was refused. Please sign in again.")]
    Refused(String),
    /// The provider could not be reached.
    #[error("The single sign-on provider cannot be reached. Please try again later.")]
    Unreachable(String),
    /// The answer lacks what is needed to name an account.
    #[error("{0}")]
    Unusable(String),
}

/// The OpenID provider as this site uses it.
pub struct Oidc {
    settings: config::Oidc,
    fetch: Fetch,
    metadata: tokio::sync::Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl Oidc {
    /// The provider of `settings`, reached through `fetch`.
    #[must_use]
    pub fn new(settings: config::Oidc, fetch: Fetch) -> Self {
        Self {
            settings,
            fetch,
            metadata: tokio::sync::Mutex::new(None),
        }
    }

    /// The settings.
    #[must_use]
    pub fn settings(&self) -> &config::Oidc {
        &self.settings
    }

    /// The provider's discovery document (with its keys), fetched at most
    /// once an hour.
    async fn metadata(&self) -> Result<CoreProviderMetadata, OidcError> {
        let mut kept = self.metadata.lock().await;
        if let Some((at, metadata)) = kept.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| OidcError::Unreachable(format!("OIDC_ISSUER: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &Client(&self.fetch))
            .await
            .map_err(|e| {
                OidcError::Unreachable(format!("discovery: {}", crate::error_chain(&e)))
            })?;
        *kept = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// Begins a sign-in that returns to `next`, with the provider's answer
    /// going to `redirect` (the callback's absolute URL): the provider's
    /// address to send the browser to, and what to keep in the session.
    ///
    /// # Errors
    /// When the provider cannot be reached.
    pub async fn begin(
        &self,
        next: String,
        redirect: &str,
    ) -> Result<(String, Pending), OidcError> {
        let redirect_url = RedirectUrl::new(redirect.to_owned())
            .map_err(|e| OidcError::Unusable(format!("The callback address is not a URL: {e}")))?;
        let metadata = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.0.clone())),
        )
        .set_redirect_uri(redirect_url);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".to_owned()))
            .add_scope(Scope::new("email".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            Pending {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
                redirect: redirect.to_owned(),
                next,
                started: crate::domain::now(),
            },
        ))
    }

    /// Finishes the sign-in `pending` with the provider's answer (`state`,
    /// `code`): who signed in.
    ///
    /// # Errors
    /// `Mismatch` for another sign-in's or an expired answer, `Refused`
    /// when the provider refuses the code or the ID token fails a check,
    /// `Unusable` when it names no usable account.
    pub async fn finish(
        &self,
        pending: &Pending,
        state: &str,
        code: &str,
    ) -> Result<HostUser, OidcError> {
        let same_state: bool = pending.state.as_bytes().ct_eq(state.as_bytes()).into();
        if !same_state || crate::domain::now() - pending.started > PENDING_SECS {
            return Err(OidcError::Mismatch);
        }
        let redirect_url =
            RedirectUrl::new(pending.redirect.clone()).map_err(|_| OidcError::Mismatch)?;
        let metadata = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.0.clone())),
        )
        .set_redirect_uri(redirect_url);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Refused(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&Client(&self.fetch))
            .await
            .map_err(|e| OidcError::Refused(format!("token: {}", crate::error_chain(&e))))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| OidcError::Refused("the answer has no ID token".to_owned()))?;
        let claims = id_token
            .claims(
                &client.id_token_verifier(),
                &Nonce::new(pending.nonce.clone()),
            )
            .map_err(|e| OidcError::Refused(format!("ID token: {}", crate::error_chain(&e))))?;
        let username = claims.preferred_username().map(|u| u.as_str().to_owned());
        // Only an address the provider vouches for may find an account.
        let email = claims
            .email()
            .filter(|_| claims.email_verified() == Some(true))
            .map(|e| e.as_str().to_owned());
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned());
        let username = username
            .or_else(|| {
                email
                    .as_deref()
                    .and_then(|e| e.split('@').next())
                    .map(str::to_owned)
            })
            .ok_or_else(|| {
                OidcError::Unusable(
                    "The provider did not say a username (preferred_username) for this account."
                        .to_owned(),
                )
            })?;
        Ok(HostUser {
            id: claims.subject().as_str().to_owned(),
            username,
            display_name: name,
            email,
            admin: None,
        })
    }
}
