//! The application server's identity towards push services (RFC 8292,
//! VAPID): one P-256 key pair for the whole site, kept in the database so
//! every node signs with it, and the `Authorization: vapid` header.
//!
//! Signed here with p256's ECDSA rather than through web-push-native's
//! `vapid` feature: that one pulls jwt-simple (some 40 crates) and writes
//! the `aud` claim without the port, which RFC 8292 §2 makes part of the
//! push resource's origin.

use base64ct::{Base64UrlUnpadded, Encoding as _};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint as _;

/// The name of the private key among the installation's secrets.
pub const SECRET_NAME: &str = "vapid_private_key";

/// Why a key or endpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    #[error("the stored VAPID key is not a P-256 private key")]
    BadKey,
    #[error("the push endpoint has no scheme or host")]
    BadEndpoint,
}

/// The site's VAPID key pair.
#[derive(Clone)]
pub struct Vapid {
    key: SigningKey,
    /// The uncompressed public key, base64url: what browsers pass to
    /// `pushManager.subscribe` as `applicationServerKey`.
    public: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Vapid {
    /// A fresh private key, base64url, for [`crate::store::Secrets::secret`]
    /// to keep if the site has none yet.
    #[must_use]
    pub fn fresh_secret() -> String {
        loop {
            let bytes: [u8; 32] = rand::random();
            // Nearly every 32 bytes are a valid scalar; the loop is for the rest.
            if p256::SecretKey::from_slice(&bytes).is_ok() {
                return Base64UrlUnpadded::encode_string(&bytes);
            }
        }
    }

    /// The key pair from its stored private key.
    ///
    /// # Errors
    /// When the secret is not a base64url P-256 scalar.
    pub fn from_secret(secret: &str) -> Result<Self, VapidError> {
        let bytes = Base64UrlUnpadded::decode_vec(secret.trim()).map_err(|_| VapidError::BadKey)?;
        let secret = p256::SecretKey::from_slice(&bytes).map_err(|_| VapidError::BadKey)?;
        let public = secret.public_key().to_encoded_point(false);
        Ok(Self {
            key: SigningKey::from(secret),
            public: Base64UrlUnpadded::encode_string(public.as_bytes()),
        })
    }

    /// The public key, base64url (uncompressed point).
    #[must_use]
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a request to `endpoint`: a JWT whose
    /// `aud` is the endpoint's origin, valid until `expires` (Unix seconds;
    /// RFC 8292 allows at most 24 hours), naming `contact` as `sub`.
    ///
    /// # Errors
    /// When the endpoint is not an absolute URL.
    pub fn authorization(
        &self,
        endpoint: &axum::http::Uri,
        expires: i64,
        contact: &str,
    ) -> Result<String, VapidError> {
        let claims = serde_json::json!({
            "aud": origin(endpoint)?,
            "exp": expires,
            "sub": contact,
        });
        let header = Base64UrlUnpadded::encode_string(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = Base64UrlUnpadded::encode_string(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{claims}");
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        let signature = Base64UrlUnpadded::encode_string(&signature.to_bytes());
        Ok(format!(
            "vapid t={signing_input}.{signature}, k={}",
            self.public
        ))
    }
}

/// `scheme://host[:port]`, the port only when it is not the scheme's own.
///
/// # Errors
/// When the URL has no scheme or host.
pub fn origin(endpoint: &axum::http::Uri) -> Result<String, VapidError> {
    let scheme = endpoint.scheme_str().ok_or(VapidError::BadEndpoint)?;
    let host = endpoint.host().ok_or(VapidError::BadEndpoint)?;
    let default = match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    };
    Ok(match endpoint.port_u16() {
        Some(port) if Some(port) != default => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier as _;

    #[test]
    fn the_origin_keeps_a_port_that_is_not_the_default() {
        let uri = |s: &str| s.parse::<axum::http::Uri>().expect("uri");
        assert_eq!(
            origin(&uri("https://fcm.googleapis.com/fcm/send/x")).expect("origin"),
            "https://fcm.googleapis.com"
        );
        assert_eq!(
            origin(&uri("https://push.example:443/x")).expect("origin"),
            "https://push.example"
        );
        assert_eq!(
            origin(&uri("http://127.0.0.1:8123/push/1")).expect("origin"),
            "http://127.0.0.1:8123"
        );
    }

    #[test]
    fn the_token_is_an_es256_jwt_the_public_key_verifies() {
        let vapid = Vapid::from_secret(&Vapid::fresh_secret()).expect("key");
        let endpoint: axum::http::Uri = "https://push.example:8443/abc".parse().expect("uri");
        let header = vapid
            .authorization(&endpoint, 1_000, "mailto:chat@example.com")
            .expect("header");
        let rest = header.strip_prefix("vapid t=").expect("scheme");
        let (token, key) = rest.split_once(", k=").expect("k");
        assert_eq!(key, vapid.public_key());
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&Base64UrlUnpadded::decode_vec(parts[1]).expect("base64"))
                .expect("json");
        assert_eq!(claims["aud"], "https://push.example:8443");
        assert_eq!(claims["exp"], 1_000);
        assert_eq!(claims["sub"], "mailto:chat@example.com");
        let public = VerifyingKey::from_sec1_bytes(&Base64UrlUnpadded::decode_vec(key).expect("k"))
            .expect("point");
        let signature =
            Signature::from_slice(&Base64UrlUnpadded::decode_vec(parts[2]).expect("sig"))
                .expect("r||s");
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert!(public.verify(signed.as_bytes(), &signature).is_ok());
        assert!(public.verify(b"something else", &signature).is_err());
    }

    #[test]
    fn a_damaged_secret_is_refused() {
        assert!(Vapid::from_secret("not base64 !").is_err());
        assert!(Vapid::from_secret(&Base64UrlUnpadded::encode_string(&[0_u8; 32])).is_err());
    }
}
