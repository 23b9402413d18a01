//! A push service for the tests (RFC 8030), faithful where it matters: it
//! refuses a request whose VAPID token (RFC 8292) does not verify (ES256
//! signature by the key in `k=`, `aud` equal to its own origin, `exp` in the
//! future and at most 24 hours away, a `mailto:`/`https:` `sub`), and it
//! decrypts the `aes128gcm` body (RFC 8291, RFC 8188) with the
//! subscription's private key, as the browser would. The decryption is
//! written here from the RFCs with RustCrypto parts, not with the sender's
//! library, so the two check each other; RFC 8291's appendix example
//! checks this one (`the_rfc_8291_example_decrypts_here_too`).
//!
//! Each endpoint can be told what to answer (`201` by default; `500`,
//! `410`, …) and records what arrived.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes_gcm::aead::{Aead as _, KeyInit as _};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64ct::{Base64UrlUnpadded, Encoding as _};
use p256::ecdsa::signature::Verifier as _;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use serde_json::Value;
use sha2::Sha256;

/// A browser's side of a subscription: its key pair and auth secret.
pub struct Device {
    pub endpoint: String,
    pub secret: p256::SecretKey,
    pub auth: [u8; 16],
}

impl Device {
    /// `p256dh` (uncompressed public key) and `auth`, base64url, as a
    /// browser's `PushSubscription.toJSON()` gives them.
    pub fn keys(&self) -> (String, String) {
        let public = self.secret.public_key().to_encoded_point(false);
        (
            Base64UrlUnpadded::encode_string(public.as_bytes()),
            Base64UrlUnpadded::encode_string(&self.auth),
        )
    }
}

/// One request that reached an endpoint.
#[derive(Debug, Clone)]
pub struct Received {
    /// What the service answered.
    pub status: u16,
    /// The decrypted notification (`Null` when refused before decrypting).
    pub payload: Value,
    /// Why it was refused, if it was.
    pub refused: Option<String>,
    pub headers: HashMap<String, String>,
}

#[derive(Default)]
struct Inner {
    /// Per endpoint id: the browser's keys.
    devices: HashMap<String, (p256::SecretKey, [u8; 16])>,
    /// Per endpoint id: statuses to answer next, in order.
    script: HashMap<String, VecDeque<u16>>,
    received: HashMap<String, Vec<Received>>,
    /// The VAPID public key every request must carry.
    vapid_key: Option<String>,
}

/// The running service.
#[derive(Clone)]
pub struct PushService {
    pub base: String,
    origin: String,
    inner: Arc<Mutex<Inner>>,
    arrived: Arc<tokio::sync::Notify>,
}

impl PushService {
    /// Starts the service on a random port of 127.0.0.1.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let service = Self {
            base: format!("{origin}/push/"),
            origin,
            inner: Arc::default(),
            arrived: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/push/{id}", axum::routing::post(receive))
            .with_state(service.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("push service");
        });
        service
    }

    /// Requires every request to be signed by this VAPID public key.
    pub fn expect_vapid_key(&self, key: &str) {
        self.inner.lock().expect("lock").vapid_key = Some(key.to_owned());
    }

    /// A new browser subscription on this service.
    pub fn device(&self, id: &str) -> Device {
        let secret = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()).expect("scalar");
        let auth: [u8; 16] = rand::random();
        self.inner
            .lock()
            .expect("lock")
            .devices
            .insert(id.to_owned(), (secret.clone(), auth));
        Device {
            endpoint: format!("{}{id}", self.base),
            secret,
            auth,
        }
    }

    /// Answers the next requests to `id` with these statuses (then `201`).
    pub fn script(&self, id: &str, statuses: &[u16]) {
        self.inner
            .lock()
            .expect("lock")
            .script
            .entry(id.to_owned())
            .or_default()
            .extend(statuses);
    }

    /// Everything `id` received so far.
    pub fn received(&self, id: &str) -> Vec<Received> {
        self.inner
            .lock()
            .expect("lock")
            .received
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    /// The notifications `id` accepted (answered 2xx).
    pub fn delivered(&self, id: &str) -> Vec<Value> {
        self.received(id)
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .map(|r| r.payload)
            .collect()
    }

    /// Waits until `id` has received `count` requests (or fails after `secs`).
    pub async fn wait_for(&self, id: &str, count: usize, secs: u64) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let arrived = self.arrived.notified();
            let got = self.received(id);
            if got.len() >= count {
                return got;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "{id} received {} requests within {secs} s, not {count}: {got:?}",
                    got.len()
                );
            }
        }
    }
}

async fn receive(
    State(service): State<PushService>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let header_map: HashMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let (device, expected_key, scripted) = {
        let mut inner = service.inner.lock().expect("lock");
        let scripted = inner.script.get_mut(&id).and_then(VecDeque::pop_front);
        (
            inner.devices.get(&id).cloned(),
            inner.vapid_key.clone(),
            scripted,
        )
    };
    let checked = match device {
        None => Err("no such subscription".to_owned()),
        Some((secret, auth)) => check(
            &service.origin,
            &header_map,
            expected_key.as_deref(),
            &secret,
            &auth,
            &body,
        ),
    };
    let (status, payload, refused) = match checked {
        Ok(payload) => (scripted.unwrap_or(201), payload, None),
        // 400 for a bad token or body, as push services answer; a missing
        // subscription is 404, as it is for an unsubscribed browser.
        Err(why) if why == "no such subscription" => (404, Value::Null, Some(why)),
        Err(why) => (400, Value::Null, Some(why)),
    };
    service
        .inner
        .lock()
        .expect("lock")
        .received
        .entry(id)
        .or_default()
        .push(Received {
            status,
            payload,
            refused,
            headers: header_map,
        });
    service.arrived.notify_waiters();
    StatusCode::from_u16(status).expect("status")
}

/// Checks a request as a push service and a browser would; answers the
/// decrypted JSON.
fn check(
    origin: &str,
    headers: &HashMap<String, String>,
    expected_key: Option<&str>,
    secret: &p256::SecretKey,
    auth: &[u8; 16],
    body: &[u8],
) -> Result<Value, String> {
    let authorization = headers
        .get("authorization")
        .ok_or("no Authorization header")?;
    let claims = verify_vapid(authorization, origin, expected_key)?;
    let _ = claims;
    if headers.get("content-encoding").map(String::as_str) != Some("aes128gcm") {
        return Err("Content-Encoding is not aes128gcm".to_owned());
    }
    if headers.get("ttl").is_none_or(|t| t.parse::<u64>().is_err()) {
        return Err("no TTL header".to_owned());
    }
    if body.len() > 4096 {
        return Err("payload over 4096 bytes".to_owned());
    }
    let plain = decrypt(body, secret, auth)?;
    serde_json::from_slice(&plain).map_err(|e| format!("payload is not JSON: {e}"))
}

/// Verifies `vapid t=<jwt>, k=<key>` (RFC 8292 §3); answers the claims.
pub fn verify_vapid(
    header: &str,
    origin: &str,
    expected_key: Option<&str>,
) -> Result<Value, String> {
    let rest = header
        .strip_prefix("vapid ")
        .ok_or("not the vapid scheme")?;
    let mut token = None;
    let mut key = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(t) = part.strip_prefix("t=") {
            token = Some(t);
        } else if let Some(k) = part.strip_prefix("k=") {
            key = Some(k);
        }
    }
    let (token, key) = (token.ok_or("no t=")?, key.ok_or("no k=")?);
    if expected_key.is_some_and(|e| e != key) {
        return Err("signed by another key".to_owned());
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [head, claims, signature] = parts[..] else {
        return Err("the token is not a JWT".to_owned());
    };
    let decode = |s: &str| Base64UrlUnpadded::decode_vec(s).map_err(|_| "bad base64url".to_owned());
    let head: Value = serde_json::from_slice(&decode(head)?).map_err(|e| e.to_string())?;
    if head["alg"] != "ES256" {
        return Err(format!("alg is {}, not ES256", head["alg"]));
    }
    let public = p256::ecdsa::VerifyingKey::from_sec1_bytes(&decode(key)?)
        .map_err(|_| "k is not a P-256 key")?;
    let signature = p256::ecdsa::Signature::from_slice(&decode(signature)?)
        .map_err(|_| "the signature is not 64 bytes")?;
    let signed = &token[..token.rfind('.').expect("two dots")];
    public
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| "the signature does not verify".to_owned())?;
    let claims: Value = serde_json::from_slice(&decode(claims)?).map_err(|e| e.to_string())?;
    if claims["aud"] != origin {
        return Err(format!("aud is {}, not {origin}", claims["aud"]));
    }
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("time");
    let exp = claims["exp"].as_i64().ok_or("no exp")?;
    if exp <= now || exp > now + 86_400 {
        return Err(format!("exp {exp} is not within the next 24 hours"));
    }
    let sub = claims["sub"].as_str().ok_or("no sub")?;
    if !(sub.starts_with("mailto:") || sub.starts_with("https:")) {
        return Err(format!("sub {sub} is not a mailto: or https: URL"));
    }
    Ok(claims)
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    hkdf::Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .expect("length");
}

/// RFC 8291 §3.4 with RFC 8188's single record, as a browser does it.
pub fn decrypt(body: &[u8], secret: &p256::SecretKey, auth: &[u8]) -> Result<Vec<u8>, String> {
    // Header: salt (16), record size (4), key id length (1), key id.
    if body.len() < 21 {
        return Err("body shorter than the aes128gcm header".to_owned());
    }
    let salt = &body[..16];
    let record_size = u32::from_be_bytes(body[16..20].try_into().expect("4 bytes")) as usize;
    let id_len = usize::from(body[20]);
    if id_len != 65 || body.len() < 21 + id_len {
        return Err("the key id is not an uncompressed P-256 key".to_owned());
    }
    let sender = p256::PublicKey::from_sec1_bytes(&body[21..21 + id_len])
        .map_err(|_| "the key id is not on P-256")?;
    let ciphertext = &body[21 + id_len..];
    if ciphertext.len() > record_size || ciphertext.len() < 17 {
        return Err("more than one record, or none".to_owned());
    }
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), sender.as_affine());
    let mut info = b"WebPush: info\0".to_vec();
    info.extend_from_slice(secret.public_key().to_encoded_point(false).as_bytes());
    info.extend_from_slice(sender.to_encoded_point(false).as_bytes());
    let mut ikm = [0_u8; 32];
    let shared: &[u8] = shared.raw_secret_bytes();
    hkdf(auth, shared, &info, &mut ikm);
    let mut cek = [0_u8; 16];
    hkdf(salt, &ikm, b"Content-Encoding: aes128gcm\0", &mut cek);
    let mut nonce = [0_u8; 12];
    hkdf(salt, &ikm, b"Content-Encoding: nonce\0", &mut nonce);
    let cipher = aes_gcm::Aes128Gcm::new_from_slice(&cek).expect("key");
    let mut plain = cipher
        .decrypt(&aes_gcm::Nonce::from(nonce), ciphertext)
        .map_err(|_| "the body does not decrypt".to_owned())?;
    // Padding: the last record ends with 0x02, then zeros.
    while plain.last() == Some(&0) {
        plain.pop();
    }
    if plain.pop() != Some(2) {
        return Err("no last-record delimiter".to_owned());
    }
    Ok(plain)
}

#[test]
fn the_rfc_8291_example_decrypts_here_too() {
    let b = |s: &str| Base64UrlUnpadded::decode_vec(s).expect("base64url");
    let body = b(
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
    );
    let secret = p256::SecretKey::from_slice(&b("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
        .expect("key");
    let auth = b("BTBZMqHH6r4Tts7J_aSIgg");
    assert_eq!(
        decrypt(&body, &secret, &auth).expect("decrypts"),
        b"When I grow up, I want to be a watermelon"
    );
    let mut damaged = body.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert!(decrypt(&damaged, &secret, &auth).is_err());
}
