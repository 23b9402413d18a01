//! (a) Polls with nothing new: every connection repeats a member's
//! `POST /live/api/poll/` with the id of the room's newest message, so the
//! server has nothing new to send; run closed-loop at each concurrency,
//! against the ceiling and the real server in turn.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::closed_loop::MakeRequest;
use crate::http::{Auth, post_request};
use crate::stats::{at, ms};
use crate::{LIVE_ROOM, Results};

/// The same poll, spread over the members' sessions.
pub fn poll_load(addr: SocketAddr, auths: &[Auth], last: i64) -> MakeRequest {
    let path = format!("/{LIVE_ROOM}/api/poll/");
    let body = format!("last={last}&hasFocus=true");
    let requests: Vec<Vec<u8>> = auths
        .iter()
        .map(|a| post_request(addr, &path, a, &body))
        .collect();
    Arc::new(move |worker, _, out| out.extend_from_slice(&requests[worker % requests.len()]))
}

/// The report's section (a).
pub fn section(o: &mut String, r: &Results) {
    let _ = writeln!(o, "## (a) `POST /{LIVE_ROOM}/api/poll/` with nothing new\n");
    let _ = writeln!(
        o,
        "| concurrency | req/s | p50 ms | p99 ms | ceiling req/s | ceiling p50 ms | ceiling p99 ms | of ceiling |\n|---|---|---|---|---|---|---|---|"
    );
    for (c, s) in &r.poll {
        let cs = at(&r.ceiling_poll, *c);
        let _ = writeln!(
            o,
            "| {c} | {:.0} | {} | {} | {:.0} | {} | {} | {:.0}% |",
            s.rate(),
            ms(s.pct_ms(50.0)),
            ms(s.pct_ms(99.0)),
            cs.rate(),
            ms(cs.pct_ms(50.0)),
            ms(cs.pct_ms(99.0)),
            100.0 * s.rate() / cs.rate()
        );
    }
    let _ = writeln!(o);
}
