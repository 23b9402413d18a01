//! `GET /admin/`: the state of the site at a glance. Activity drawn as
//! inline SVG (each chart with a title, a description and a table), the
//! health of mail, storage and this node, and what needs attention, each
//! item linked to the page that fixes it.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use fluent_bundle::FluentArgs;
use minijinja::{Value, context};
use serde::Serialize;

use super::charts::{self, BarChart, thousands};
use super::page;
use crate::config::StoreUrl;
use crate::domain::overview::{DAY, per_day, per_week, week_grid, week_start};
use crate::service::overview::{Report, VERSION, report};
use crate::web::auth::AdminUser;
use crate::web::error::AppError;
use crate::web::i18n;
use crate::web::state::AppState;

/// Rooms drawn one by one; the others are summed in the table's total.
const ROOM_CHARTS: usize = 12;

/// `GET /admin/`
#[tracing::instrument(skip_all)]
pub async fn index(State(state): State<AppState>, admin: AdminUser) -> Result<Response, AppError> {
    let report = report(&state.chat, state.node, &state.config.data_dir).await?;
    let view = view(&state, &report);
    page(
        &state,
        &admin.viewer,
        "conversate/admin/index.html",
        context! { title => "Administration", ..view },
    )
    .await
}

/// One day of the daily chart's table.
#[derive(Serialize)]
struct DayRow {
    date: String,
    messages: i64,
}

/// One room's activity.
#[derive(Serialize)]
struct RoomActivity {
    slug: String,
    title: String,
    total: i64,
    last_week: i64,
    busiest: String,
    chart: BarChart,
}

/// `Mon 2 Nov` for a day number, in the page's language.
fn day_name(day: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(day * DAY) else {
        return day.to_string();
    };
    let mut args = FluentArgs::new();
    args.set(
        "weekday",
        charts::weekday(usize::from(t.weekday().number_days_from_monday())),
    );
    args.set("day", i64::from(t.day()));
    args.set("month", i64::from(u8::from(t.month())));
    i18n::text("date-weekday-day-month", Some(&args))
}

fn month(m: time::Month) -> String {
    i18n::count("date-month", i64::from(u8::from(m)))
}

/// `30 Nov` for a day number, in the page's language.
fn short_day(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day * DAY).map_or_else(
        |_| day.to_string(),
        |t| {
            let mut args = FluentArgs::new();
            args.set("day", i64::from(t.day()));
            args.set("month", i64::from(u8::from(t.month())));
            i18n::text("date-day-month", Some(&args))
        },
    )
}

/// The month's name when `day` is the first of a month.
fn month_start(day: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(day * DAY).ok()?;
    (t.day() == 1).then(|| month(t.month()))
}

/// `1.5 MB`: bytes in decimal units, as disks are sold.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    #[allow(clippy::cast_precision_loss)]
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        crate::web::i18n::count("size-bytes", i64::try_from(bytes).unwrap_or(i64::MAX))
    } else {
        // The decimal mark is the reader's ("1.5 MB", "1,5 MB").
        let mark = crate::web::i18n::text("number-decimal-mark", None);
        format!("{v:.1} {}", UNITS[unit]).replacen('.', &mark, 1)
    }
}

fn ago(then: Option<i64>, now: i64) -> String {
    crate::web::i18n::ago(then, now)
}

/// The busiest entry of `values` (index, value), the first on a tie.
fn busiest(values: &[i64]) -> Option<(usize, i64)> {
    values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| *v > 0)
        .fold(None, |best, (i, v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((i, v)),
        })
}

/// A serialisable value for the template.
fn ser<T: Serialize + ?Sized>(v: &T) -> Value {
    Value::from(minijinja::value::Serde(v))
}

fn view(state: &AppState, r: &Report) -> Value {
    let (first, last, now) = (r.first_day, r.last_day, r.now);
    let days = usize::try_from(last - first + 1).unwrap_or(0);
    let day_of = |i: usize| first + i64::try_from(i).unwrap_or(0);

    // Messages per day, in total.
    let total = per_day(
        first,
        last,
        r.activity.room_days.iter().map(|&(_, d, n)| (d, n)),
    );
    let daily = charts::bars(
        &total,
        180.0,
        true,
        |i, v| {
            format!(
                "{}: {}",
                day_name(day_of(i)),
                i18n::count("admin-chart-messages", v)
            )
        },
        |i| month_start(day_of(i)).map(|m| (m, false)),
    );
    let daily_rows: Vec<DayRow> = total
        .iter()
        .enumerate()
        .rev()
        .map(|(i, &messages)| DayRow {
            date: day_name(day_of(i)),
            messages,
        })
        .collect();
    let days_n = i64::try_from(days).unwrap_or(0);
    let daily_desc = match busiest(&total) {
        None => i18n::count("admin-chart-none", days_n),
        Some((i, n)) => {
            let mut args = FluentArgs::new();
            args.set("total", daily.total);
            args.set("days", days_n);
            args.set("today", total.last().copied().unwrap_or(0));
            args.set("busiest", day_name(day_of(i)));
            args.set("most", n);
            i18n::text("admin-chart-daily", Some(&args))
        }
    };

    // Per room, busiest first.
    let mut by_room: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for &(room, d, n) in &r.activity.room_days {
        by_room.entry(room).or_default().push((d, n));
    }
    let mut rooms: Vec<RoomActivity> = r
        .rooms
        .iter()
        .filter_map(|room| {
            let series = per_day(first, last, by_room.remove(&room.id)?);
            let chart = charts::bars(
                &series,
                40.0,
                false,
                |i, v| {
                    format!(
                        "{}: {}",
                        day_name(day_of(i)),
                        i18n::count("admin-chart-messages", v)
                    )
                },
                |_| None,
            );
            let busiest = busiest(&series).map_or_else(String::new, |(i, n)| {
                format!("{} ({})", day_name(day_of(i)), thousands(n))
            });
            Some(RoomActivity {
                slug: room.slug.clone(),
                title: room.title.clone(),
                total: chart.total,
                last_week: series.iter().rev().take(7).sum(),
                busiest,
                chart,
            })
        })
        .collect();
    rooms.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.title.cmp(&b.title)));
    let rooms_drawn = rooms.len().min(ROOM_CHARTS);

    // Members who wrote, per week.
    let writers = per_week(
        r.first_week,
        r.last_week,
        r.activity.week_writers.iter().copied(),
    );
    let week_of_index = |i: usize| r.first_week + i64::try_from(i).unwrap_or(0);
    let weekly = charts::bars(
        &writers,
        160.0,
        true,
        |i, v| {
            let mut args = FluentArgs::new();
            args.set("week", day_name(week_start(week_of_index(i))));
            args.set("count", v);
            i18n::text("admin-chart-week-writers", Some(&args))
        },
        // Every other week, counted from this one; every fourth on phones.
        |i| {
            let back = writers.len() - 1 - i;
            back.is_multiple_of(2).then(|| {
                (
                    short_day(week_start(week_of_index(i))),
                    !back.is_multiple_of(4),
                )
            })
        },
    );
    let weekly_rows: Vec<DayRow> = writers
        .iter()
        .enumerate()
        .rev()
        .map(|(i, &messages)| DayRow {
            date: day_name(week_start(week_of_index(i))),
            messages,
        })
        .collect();
    let weekly_desc = {
        let mut args = FluentArgs::new();
        args.set("now", writers.last().copied().unwrap_or(0));
        args.set("most", weekly.max);
        args.set("weeks", i64::try_from(writers.len()).unwrap_or(0));
        i18n::text("admin-chart-weekly", Some(&args))
    };

    // The hours of the week.
    let grid = week_grid(r.activity.week_hours.iter().copied());
    let heat = charts::heat_map(&grid);
    let busiest_hour = heat.cells.iter().filter(|c| c.value > 0).fold(
        None::<&charts::Cell>,
        |best, c| match best {
            Some(b) if b.value >= c.value => Some(b),
            _ => Some(c),
        },
    );
    let heat_desc = match busiest_hour {
        None => i18n::count("admin-chart-none", days_n),
        Some(c) => {
            let mut args = FluentArgs::new();
            args.set("days", days_n);
            args.set("busiest", c.label.clone());
            i18n::text("admin-chart-hours", Some(&args))
        }
    };
    let heat_rows: Vec<Value> = grid
        .iter()
        .enumerate()
        .map(|(d, hours)| context! { day => charts::weekday(d), hours => hours.to_vec() })
        .collect();

    // Health.
    let outbox = &r.outbox;
    let failure = outbox.last_failure.as_ref().map(|f| {
        context! { when => ago(Some(f.at), now), recipient => f.recipient.clone(), error => f.error.clone() }
    });
    let files_where = match state.config.store_url {
        StoreUrl::Local => crate::web::i18n::text("admin-files-local", None),
        StoreUrl::S3 { .. } => crate::web::i18n::text("admin-files-s3", None),
    };
    let cluster = matches!(
        state.config.database_url,
        crate::config::DatabaseUrl::Postgres(_)
    );
    let health = context! {
        pending => thousands(outbox.pending),
        oldest_pending => outbox.oldest_pending.map(|t| ago(Some(t), now)),
        failed => outbox.failed,
        failure,
        mail_configured => state.mailer.is_configured(),
        database => size(u64::try_from(r.database.bytes).unwrap_or(0)),
        engine => format!("{}, {}", r.database.version, r.database.durability),
        disk_free => r.disk_free.map(size),
        files => i18n::count("catch-up-files", r.storage.files),
        file_bytes => size(u64::try_from(r.storage.file_bytes).unwrap_or(0)),
        files_where,
        version => VERSION,
        uptime => crate::web::i18n::duration(now - r.node.started_at),
        cluster,
        // This node answers the page, so at least one is alive.
        nodes => r.storage.nodes_alive.max(1),
    };

    // Attention.
    let a = &r.attention;
    let quiet_members: Vec<Value> = a
        .quiet_members
        .iter()
        .map(|m| context! { username => m.username.clone(), last_seen => ago(m.last_seen, now), rooms => m.alert_rooms })
        .collect();
    let quiet_rooms: Vec<Value> = a
        .quiet_rooms
        .iter()
        .map(|q| context! { slug => q.slug.clone(), title => q.title.clone(), last => ago(q.last_message, now) })
        .collect();

    context! {
        days,
        daily => ser(&daily),
        daily_rows => ser(&daily_rows),
        daily_desc,
        rooms => ser(&rooms[..rooms_drawn]),
        room_rows => ser(&rooms),
        weekly => ser(&weekly),
        weekly_rows => ser(&weekly_rows),
        weekly_desc,
        heat => ser(&heat),
        heat_rows,
        heat_desc,
        hour_labels => (0..24).map(|h| format!("{h:02}")).collect::<Vec<_>>(),
        health,
        quiet_members,
        quiet_rooms,
        without_email => a.without_email.clone(),
        room_count => r.rooms.len(),
        account_count => r.accounts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_disk_label() {
        assert_eq!(size(999), "999 bytes");
        assert_eq!(size(1_500), "1.5 kB");
        assert_eq!(size(2_000_000_000), "2.0 GB");
    }

    #[test]
    fn days_have_names() {
        // Day 20_787 is Monday 30 November 2026.
        assert_eq!(day_name(20_787), "Mon 30 Nov");
        assert_eq!(month_start(20_788).as_deref(), Some("Dec"));
        assert_eq!(month_start(20_787), None);
    }

    #[test]
    fn the_busiest_is_the_first_of_the_largest() {
        assert_eq!(busiest(&[0, 3, 5, 5, 1]), Some((2, 5)));
        assert_eq!(busiest(&[0, 0]), None);
    }
}
