//! Web Push (RFC 8030): the site's VAPID identity (`vapid.rs`), the
//! encrypted request to a push service (here), and the worker that turns
//! new messages into pushes and delivers them (`worker.rs`).
//!
//! The payload is encrypted for the browser with RFC 8291's `aes128gcm`
//! by web-push-native (pure RustCrypto); the push service only sees
//! ciphertext. The request goes out through [`crate::outbound`], since the
//! endpoint is an address a browser gave us.

pub mod vapid;
pub mod worker;

use base64ct::{Base64UrlUnpadded, Encoding as _};
#[cfg(test)]
use p256::elliptic_curve::sec1::ToEncodedPoint as _;

pub use vapid::Vapid;

use crate::domain::push::Subscription;

/// Why a push request could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the subscription's keys are damaged")]
    Keys,
    #[error("the subscription's endpoint is not a URL")]
    Endpoint,
    #[error("encrypting the payload failed: {0}")]
    Encrypt(String),
    #[error(transparent)]
    Vapid(#[from] vapid::VapidError),
}

/// A push request, ready for the outbound client.
#[derive(Debug)]
pub struct PushRequest {
    pub endpoint: String,
    /// `(name, value)` pairs: TTL, Urgency, Topic, encoding, VAPID.
    pub headers: Vec<(&'static str, String)>,
    /// The `aes128gcm` body.
    pub body: Vec<u8>,
}

/// What a request says besides its payload.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    /// Seconds the push service keeps it for an offline browser.
    pub ttl: u64,
    /// `high` for a mention, else `normal` (RFC 8030 §5.3).
    pub urgency: &'static str,
    /// Replaces an undelivered push with the same topic (RFC 8030 §5.4).
    pub topic: String,
    /// The VAPID `sub` claim.
    pub contact: &'a str,
    /// When the VAPID token expires (Unix seconds).
    pub expires: i64,
}

/// Encrypts `payload` for `subscription` and signs the request.
///
/// # Errors
/// When the stored keys or the endpoint are damaged.
pub fn request(
    vapid: &Vapid,
    subscription: &Subscription,
    payload: &[u8],
    delivery: &Delivery<'_>,
) -> Result<PushRequest, BuildError> {
    let endpoint: axum::http::Uri = subscription
        .endpoint
        .parse()
        .map_err(|_| BuildError::Endpoint)?;
    let public =
        Base64UrlUnpadded::decode_vec(&subscription.p256dh).map_err(|_| BuildError::Keys)?;
    let public = p256::PublicKey::from_sec1_bytes(&public).map_err(|_| BuildError::Keys)?;
    let auth = Base64UrlUnpadded::decode_vec(&subscription.auth).map_err(|_| BuildError::Keys)?;
    let auth: [u8; 16] = auth.try_into().map_err(|_| BuildError::Keys)?;
    let auth = web_push_native::Auth::from(auth);
    let body = web_push_native::encrypt(payload.to_vec(), &public, &auth)
        .map_err(|e| BuildError::Encrypt(e.to_string()))?;
    let authorization = vapid.authorization(&endpoint, delivery.expires, delivery.contact)?;
    Ok(PushRequest {
        endpoint: subscription.endpoint.clone(),
        headers: vec![
            ("ttl", delivery.ttl.to_string()),
            ("urgency", delivery.urgency.to_owned()),
            ("topic", delivery.topic.clone()),
            ("content-encoding", "aes128gcm".to_owned()),
            ("content-type", "application/octet-stream".to_owned()),
            ("authorization", authorization),
        ],
        body,
    })
}

/// Whether a browser's key and secret are usable: base64url, a point on
/// P-256, a 16-byte secret. Answers the decoded bytes for the rule in
/// [`crate::domain::push::check_subscription`].
#[must_use]
pub fn decode_keys(p256dh: &str, auth: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let key = Base64UrlUnpadded::decode_vec(p256dh.trim_end_matches('=')).ok()?;
    let auth = Base64UrlUnpadded::decode_vec(auth.trim_end_matches('=')).ok()?;
    p256::PublicKey::from_sec1_bytes(&key).ok()?;
    Some((key, auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Vec<u8> {
        Base64UrlUnpadded::decode_vec(s).expect("base64url")
    }

    /// RFC 8291, Appendix A: the published message decrypts with the
    /// implementation the server encrypts with.
    #[test]
    fn the_rfc_8291_example_decrypts() {
        let body = b(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
        );
        let receiver =
            p256::SecretKey::from_slice(&b("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
                .expect("receiver key");
        let auth: [u8; 16] = b("BTBZMqHH6r4Tts7J_aSIgg").try_into().expect("16 bytes");
        let plain = web_push_native::decrypt(body, &receiver, &web_push_native::Auth::from(auth))
            .expect("decrypts");
        assert_eq!(plain, b"When I grow up, I want to be a watermelon");
    }

    #[test]
    fn a_request_is_encrypted_for_the_browser_and_signed() {
        let vapid = Vapid::from_secret(&Vapid::fresh_secret()).expect("vapid");
        let browser = p256::SecretKey::from_slice(&[7_u8; 32]).expect("browser key");
        let public = browser.public_key().to_encoded_point(false);
        let auth = [9_u8; 16];
        let subscription = Subscription {
            id: 1,
            user_id: 1,
            endpoint: "https://push.example/abc".to_owned(),
            p256dh: Base64UrlUnpadded::encode_string(public.as_bytes()),
            auth: Base64UrlUnpadded::encode_string(&auth),
            device: "test".to_owned(),
            created_at: 0,
            last_used_at: None,
        };
        let delivery = Delivery {
            ttl: 60,
            urgency: "normal",
            topic: "room1".to_owned(),
            contact: "mailto:a@example.com",
            expires: 100,
        };
        let request =
            request(&vapid, &subscription, b"{\"title\":\"x\"}", &delivery).expect("built");
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("content-encoding").as_deref(), Some("aes128gcm"));
        assert!(header("authorization").is_some_and(|a| a.starts_with("vapid t=")));
        let plain =
            web_push_native::decrypt(request.body, &browser, &web_push_native::Auth::from(auth))
                .expect("the browser decrypts it");
        assert_eq!(plain, b"{\"title\":\"x\"}");
    }
}
