//! (i) The administrator's overview, `GET /admin/`, on the database of (d)
//! (1,000,000 messages in a full run): activity charts, outbox, storage and
//! attention lists, closed-loop at concurrency 1 and 16 as the `admin`
//! account.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::closed_loop::MakeRequest;
use crate::http::{Auth, find, get_request};
use crate::stats::{ms, thousands};
use crate::{Params, Results};

/// The overview page, always as the one administrator.
pub fn overview_load(addr: SocketAddr, admin: &Auth) -> MakeRequest {
    let request = get_request(addr, "/admin/", Some(admin));
    Arc::new(move |_, _, out| out.extend_from_slice(&request))
}

/// The answer is the overview with its charts drawn.
pub fn is_overview(body: &[u8]) -> bool {
    find(body, b"cv-daily-chart-title").is_some() && find(body, b"cv-hours-title").is_some()
}

/// The report's section (i).
pub fn section(o: &mut String, p: &Params, r: &Results) {
    let history = thousands(p.history);
    let _ = writeln!(
        o,
        "## (i) The administrator's overview at {history} messages\n"
    );
    let _ = writeln!(
        o,
        "`GET /admin/` as the administrator: messages per day (90 days, in total and per \
         room), members who wrote per week, the hours of the week, the outbox, the database \
         and disk, and the attention lists. The activity comes from the roll-up tables the \
         message triggers keep (migration 0006), so its cost follows rooms × hours with \
         messages, not messages.\n"
    );
    let _ = writeln!(
        o,
        "| concurrency | req/s | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|"
    );
    for (c, s) in &r.overview {
        let _ = writeln!(
            o,
            "| {c} | {:.0} | {} | {} | {} |",
            s.rate(),
            ms(s.pct_ms(50.0)),
            ms(s.pct_ms(99.0)),
            ms(s.max_ms()),
        );
    }
    let _ = writeln!(o);
}
