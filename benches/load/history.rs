//! (d) A room with a long history (1,000,000 messages in a full run): the
//! room page (`GET /history/`, the newest page and the member list) and
//! `POST /history/api/history/` for the page before an id drawn uniformly
//! from the whole history, each closed-loop at concurrency 1 and 16.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::closed_loop::MakeRequest;
use crate::http::{Auth, Conn, get_request, post_request};
use crate::server::Seeded;
use crate::stats::{at, ms, thousands};
use crate::{HISTORY_ROOM, PAGE_SIZE, Params, Results};

/// The room page of the history room, spread over the members' sessions.
pub fn page_load(addr: SocketAddr, auths: &[Auth]) -> MakeRequest {
    let path = format!("/{HISTORY_ROOM}/");
    let requests: Vec<Vec<u8>> = auths
        .iter()
        .map(|a| get_request(addr, &path, Some(a)))
        .collect();
    Arc::new(move |worker, _, out| out.extend_from_slice(&requests[worker % requests.len()]))
}

/// The size of the room page's body, read once.
pub async fn page_bytes(addr: SocketAddr, auth: &Auth) -> anyhow::Result<usize> {
    let mut conn = Conn::connect(addr).await?;
    let status = conn
        .exchange(&get_request(addr, &format!("/{HISTORY_ROOM}/"), Some(auth)))
        .await?;
    anyhow::ensure!(status == 200, "the room page answered {status}");
    Ok(conn.body.len())
}

/// The ceiling's `GET /bytes/{n}`: a page as big as the room page, from memory.
pub fn bytes_load(addr: SocketAddr, n: usize) -> MakeRequest {
    let request = get_request(addr, &format!("/bytes/{n}"), None);
    Arc::new(move |_, _, out| out.extend_from_slice(&request))
}

/// A page of history before a pseudo-random id, the same ids every run.
pub fn history_load(addr: SocketAddr, auths: &[Auth], seeded: &Seeded) -> MakeRequest {
    let path = format!("/{HISTORY_ROOM}/api/history/");
    let auths = auths.to_vec();
    let low = seeded.history_first + PAGE_SIZE;
    let span = u64::try_from((seeded.history_last - low).max(1)).unwrap_or(1);
    Arc::new(move |worker, seq, out| {
        let r = mix(((worker as u64 + 1) << 32) | (seq + 1));
        let first = low + i64::try_from(r % span).unwrap_or(0);
        let body = format!("first={first}");
        out.extend_from_slice(&post_request(
            addr,
            &path,
            &auths[worker % auths.len()],
            &body,
        ));
    })
}

/// A small deterministic random number generator (xorshift64*).
fn mix(mut x: u64) -> u64 {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// The report's section (d).
pub fn section(o: &mut String, p: &Params, r: &Results) {
    let history = thousands(p.history);
    let _ = writeln!(o, "## (d) Room of {history} messages\n");
    let _ = writeln!(
        o,
        "`GET /{HISTORY_ROOM}/` renders the newest {PAGE_SIZE} messages with the member list; \
         `POST /{HISTORY_ROOM}/api/history/` asks for the {PAGE_SIZE} messages before a \
         `first` drawn uniformly from the whole history.\n"
    );
    let _ = writeln!(
        o,
        "The room page's ceiling is the minimal server sending the same {} bytes from memory \
         (`GET /bytes/{}`): what putting that much on the wire costs by itself. The others' is \
         its small JSON answer.\n",
        thousands(i64::try_from(r.page_bytes).unwrap_or(0)),
        r.page_bytes
    );
    let _ = writeln!(
        o,
        "| request | concurrency | req/s | p50 ms | p99 ms | ceiling req/s | ceiling p50 ms | ceiling p99 ms |\n|---|---|---|---|---|---|---|---|"
    );
    for (name, v, ceiling) in [
        ("room page", &r.page, &r.ceiling_page),
        ("`api/history/`", &r.history, &r.ceiling_poll),
    ] {
        for (c, s) in v {
            let cs = at(ceiling, *c);
            let cs = if cs.count() == 0 { at(ceiling, 16) } else { cs };
            let _ = writeln!(
                o,
                "| {name} | {c} | {:.0} | {} | {} | {:.0} | {} | {} |",
                s.rate(),
                ms(s.pct_ms(50.0)),
                ms(s.pct_ms(99.0)),
                cs.rate(),
                ms(cs.pct_ms(50.0)),
                ms(cs.pct_ms(99.0)),
            );
        }
    }
    let _ = writeln!(o);
}
