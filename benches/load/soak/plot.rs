//! The soak's picture, as SVG text: the server's RSS over the run above,
//! each kind's p99 per period below (log scale), with the windows the
//! verdicts compare shaded. Written by hand to keep plotting crates out of
//! the build.

use std::fmt::Write as _;
use std::time::Duration;

use super::record::KINDS;
use super::{SoakResult, length, secs};

const WIDTH: f64 = 900.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 760.0;
/// Top and bottom of the RSS panel, then of the p99 panel.
const RSS_PANEL: (f64, f64) = (64.0, 250.0);
const P99_PANEL: (f64, f64) = (320.0, 570.0);
const HEIGHT: f64 = 620.0;
const COLOURS: [&str; KINDS.len()] = [
    "#1f77b4", "#17becf", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b",
];

/// The plot of `s`.
pub fn svg(s: &SoakResult) -> String {
    let mut o = String::new();
    let total = s.duration.as_secs_f64().max(1e-3);
    // Minutes on the axis, or seconds for a short run.
    let (unit, per_unit) = if total >= 120.0 {
        ("minutes", 60.0)
    } else {
        ("seconds", 1.0)
    };
    let x = |d: Duration| LEFT + (RIGHT - LEFT) * (d.as_secs_f64() / total).clamp(0.0, 1.0);
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(
        o,
        "<title>Soak: server memory and p99 per kind of request over {}</title>",
        length(s.duration)
    );
    let _ = writeln!(
        o,
        "<desc>Above, the server's resident memory (MiB) read every {} s; below, each \
         kind of request's 99th percentile latency (ms, log scale) per period of {} s. \
         Shaded: the windows whose p99s are compared.</desc>",
        secs(s.rss_every),
        secs(s.period)
    );
    let _ = writeln!(
        o,
        "<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#ffffff\"/>"
    );
    shade_windows(&mut o, s, &x);
    x_axis(&mut o, total, per_unit, unit, &x);
    rss_panel(&mut o, s, &x);
    p99_panel(&mut o, s, &x);
    let _ = writeln!(o, "</svg>");
    o
}

fn shade_windows(o: &mut String, s: &SoakResult, x: &dyn Fn(Duration) -> f64) {
    for (name, (from, to)) in [
        ("reference", s.reference_window()),
        ("compared", s.final_window()),
    ] {
        let (a, b) = (x(s.period * from), x(s.period * to));
        let (top, bottom) = P99_PANEL;
        let _ = writeln!(
            o,
            "<rect x=\"{a:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{}\" fill=\"#eeeeee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#666666\">{name}</text>",
            b - a,
            bottom - top,
            (a + b) / 2.0,
            top - 4.0
        );
    }
}

fn x_axis(o: &mut String, total: f64, per_unit: f64, unit: &str, x: &dyn Fn(Duration) -> f64) {
    let step = nice_step(total / per_unit, 10);
    for (top, bottom) in [RSS_PANEL, P99_PANEL] {
        let _ = writeln!(
            o,
            "<line x1=\"{LEFT}\" y1=\"{bottom}\" x2=\"{RIGHT}\" y2=\"{bottom}\" stroke=\"#000000\"/>\
             <line x1=\"{LEFT}\" y1=\"{top}\" x2=\"{LEFT}\" y2=\"{bottom}\" stroke=\"#000000\"/>"
        );
        let mut v = 0.0;
        while v <= total / per_unit + 1e-9 {
            let px = x(Duration::from_secs_f64(v * per_unit));
            let _ = writeln!(
                o,
                "<line x1=\"{px:.1}\" y1=\"{bottom}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#000000\"/>\
                 <text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                bottom + 4.0,
                bottom + 16.0,
                number(v)
            );
            v += step;
        }
        let _ = writeln!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{unit} into the run</text>",
            (LEFT + RIGHT) / 2.0,
            bottom + 32.0
        );
    }
}

fn rss_panel(o: &mut String, s: &SoakResult, x: &dyn Fn(Duration) -> f64) {
    let (top, bottom) = RSS_PANEL;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let highest = s.rss.iter().map(|(_, k)| mib(*k)).fold(0.0, f64::max);
    let limit = mib(s.rss_settled_kib()) * 1.05;
    let step = nice_step(highest.max(limit) * 1.1, 6);
    let y_max = step * (highest.max(limit) * 1.1 / step).ceil();
    let y = |v: f64| bottom - (bottom - top) * (v / y_max.max(1e-9));
    let mut v = 0.0;
    while v <= y_max + 1e-9 {
        let py = y(v);
        grid_line(o, py, v);
        v += step;
    }
    let _ = writeln!(
        o,
        "<text x=\"{LEFT}\" y=\"{:.1}\" font-weight=\"bold\">Server RSS, MiB (line: read every {} s; dots: each period's median)</text>",
        top - 26.0,
        secs(s.rss_every)
    );
    let settle = x(s.settle());
    let ly = y(limit);
    let _ = writeln!(
        o,
        "<line x1=\"{settle:.1}\" y1=\"{top}\" x2=\"{settle:.1}\" y2=\"{bottom}\" \
         stroke=\"#999999\" stroke-dasharray=\"4 3\"/>\
         <line x1=\"{settle:.1}\" y1=\"{ly:.1}\" x2=\"{RIGHT}\" y2=\"{ly:.1}\" stroke=\"#d62728\" \
         stroke-dasharray=\"6 4\"/>\
         <text x=\"{RIGHT}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#d62728\">red: +5% over the median of the period before the grey line</text>",
        top - 8.0
    );
    let points: Vec<String> = s
        .rss
        .iter()
        .map(|(at, kib)| format!("{:.1},{:.1}", x(*at), y(mib(*kib))))
        .collect();
    let _ = writeln!(
        o,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>",
        points.join(" ")
    );
    for i in 0..s.periods.len() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        if let Some(kib) = s.rss_median_kib(i) {
            let _ = writeln!(
                o,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"#ff7f0e\"/>",
                x(s.period.mul_f64(f64::from(i) + 0.5)),
                y(mib(kib))
            );
        }
    }
}

fn p99_panel(o: &mut String, s: &SoakResult, x: &dyn Fn(Duration) -> f64) {
    let (top, bottom) = P99_PANEL;
    let values = s
        .periods
        .iter()
        .flat_map(|p| p.iter().map(|k| k.p99_ms))
        .filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) = values.fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo.is_finite() {
        let lo = lo.log10().floor();
        (lo, hi.log10().ceil().max(lo + 1.0))
    } else {
        (-1.0, 2.0)
    };
    let y = |v: f64| bottom - (bottom - top) * ((v.log10() - lo) / (hi - lo));
    let mut decade = lo;
    while decade <= hi + 1e-9 {
        let v = 10f64.powf(decade);
        let py = y(v);
        grid_line(o, py, v);
        decade += 1.0;
    }
    let _ = writeln!(
        o,
        "<text x=\"{LEFT}\" y=\"{:.1}\" font-weight=\"bold\">p99 per period of {} s, ms (log scale)</text>",
        top - 20.0,
        secs(s.period)
    );
    for (k, kind) in KINDS.iter().enumerate() {
        let colour = COLOURS[k];
        let mut path = String::new();
        let mut pen_down = false;
        let mut dots = String::new();
        for (i, p) in s.periods.iter().enumerate() {
            let v = p[k].p99_ms;
            if !(v.is_finite() && v > 0.0) {
                pen_down = false;
                continue;
            }
            let px = x(s.period.mul_f64(i as f64 + 0.5));
            let _ = write!(
                path,
                "{}{px:.1},{:.1} ",
                if pen_down { "L" } else { "M" },
                y(v)
            );
            pen_down = true;
            // A dot too, so that a period between two without answers shows.
            let _ = write!(
                dots,
                "<circle cx=\"{px:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"{colour}\"/>",
                y(v)
            );
        }
        if !path.is_empty() {
            let _ = writeln!(
                o,
                "<path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>",
                path.trim_end()
            );
        }
        let _ = writeln!(o, "{dots}");
        let ly = top + 10.0 + 20.0 * k as f64;
        let _ = writeln!(
            o,
            "<line x1=\"{:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{colour}\" stroke-width=\"3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            RIGHT + 15.0,
            RIGHT + 40.0,
            RIGHT + 46.0,
            ly + 4.0,
            kind.name()
        );
    }
}

/// A step of 1, 2 or 5 times a power of ten giving at most `ticks` ticks.
fn nice_step(range: f64, ticks: usize) -> f64 {
    let raw = (range / ticks as f64).max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power)
}

/// A tick's label: no more decimals than it needs.
fn number(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A horizontal grid line at `py`, labelled with `v` on the left.
fn grid_line(o: &mut String, py: f64, v: f64) {
    let _ = writeln!(
        o,
        "<line x1=\"{LEFT}\" y1=\"{py:.1}\" x2=\"{RIGHT}\" y2=\"{py:.1}\" stroke=\"#dddddd\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
        LEFT - 6.0,
        py + 4.0,
        number(v)
    );
}
