//! (h) Catch-up: the index (`GET /`) and `GET /api/rooms/` for a member of
//! 50 rooms holding 1,000,000 messages in all (a full run), with unread
//! messages and mentions in 48 of them; closed-loop at concurrency 1 and 16.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::closed_loop::MakeRequest;
use crate::http::{Auth, get_request};
use crate::stats::{at, ms, thousands};
use crate::{EXTRA_ROOMS, Params, Results};

/// `GET path`, spread over the members' sessions.
pub fn get_load(addr: SocketAddr, auths: &[Auth], path: &str) -> MakeRequest {
    let requests: Vec<Vec<u8>> = auths
        .iter()
        .map(|a| get_request(addr, path, Some(a)))
        .collect();
    Arc::new(move |worker, _, out| out.extend_from_slice(&requests[worker % requests.len()]))
}

/// The report's section (h).
pub fn section(o: &mut String, p: &Params, r: &Results) {
    let rooms = EXTRA_ROOMS + 2;
    let total = thousands(p.history + 200 + i64::try_from(EXTRA_ROOMS).unwrap_or(0) * 100);
    let _ = writeln!(o, "## (h) Catch-up: the index and `GET /api/rooms/`\n");
    let _ = writeln!(
        o,
        "Each member belongs to {rooms} rooms holding {total} messages in all; in {EXTRA_ROOMS} of \
         them half of the 100 messages are unread and 5 of those mention the member. Both \
         requests answer every room's unread count, mention count and newest message.\n"
    );
    let _ = writeln!(
        o,
        "| request | concurrency | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|"
    );
    for (name, v) in [
        ("`GET /` (index page)", &r.index),
        ("`GET /api/rooms/`", &r.rooms_api),
    ] {
        for (c, s) in v {
            let _ = writeln!(
                o,
                "| {name} | {c} | {:.0} | {} | {} |",
                s.rate(),
                ms(s.pct_ms(50.0)),
                ms(s.pct_ms(99.0)),
            );
        }
    }
    let _ = writeln!(o);
}

/// The target rows of (h): p99 at concurrency 1.
pub fn targets(o: &mut String, r: &Results, verdict: fn(bool) -> &'static str) {
    for (name, v) in [
        ("index page", &r.index),
        ("`GET /api/rooms/`", &r.rooms_api),
    ] {
        let s = at(v, 1);
        let _ = writeln!(
            o,
            "| (h) {name}, member of {} rooms, p99 | < 5 ms | {} ms | | {} |",
            EXTRA_ROOMS + 2,
            ms(s.pct_ms(99.0)),
            verdict(s.pct_ms(99.0) < 5.0)
        );
    }
}
