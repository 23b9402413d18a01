//! Geometry for the overview's charts: numbers in, rectangles and labels
//! out. The template draws them as inline SVG (no script, no style
//! attribute: colours come from classes in `conversate.css`), so the page
//! needs no chart library and works without JavaScript.

use serde::Serialize;

/// Width of every chart's `viewBox`; the SVG scales to its box.
pub const WIDTH: f64 = 720.0;
/// Room on the left for the value labels.
const LEFT: f64 = 60.0;
/// Room below for the date labels.
const BOTTOM: f64 = 26.0;
/// Room above the tallest bar.
const TOP: f64 = 8.0;

/// One bar, in `viewBox` units, with what it stands for.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub label: String,
    pub value: i64,
}

/// A label on an axis.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub x: f64,
    pub y: f64,
    pub label: String,
    /// `start`, `middle` or `end`: labels near an edge are kept inside.
    pub anchor: &'static str,
    /// Left out on narrow screens, where the labels are drawn larger.
    pub minor: bool,
}

/// Rough width of a label at the larger (phone) size, in `viewBox` units.
fn label_width(label: &str) -> f64 {
    f(i64::try_from(label.chars().count()).unwrap_or(0)) * 13.0
}

/// The anchor that keeps a label centred on `x` inside `left..WIDTH`.
fn anchor(x: f64, left: f64, label: &str) -> &'static str {
    let half = label_width(label) / 2.0;
    if x + half > WIDTH {
        "end"
    } else if x - half < left {
        "start"
    } else {
        "middle"
    }
}

/// A bar chart ready to draw.
#[derive(Debug, Clone, Serialize)]
pub struct BarChart {
    pub width: f64,
    pub height: f64,
    /// The plot's left edge and baseline, for the axis line.
    pub left: f64,
    pub base: f64,
    pub bars: Vec<Bar>,
    /// The bars as one SVG path, for strips: a dozen rooms of 90 bars
    /// each would otherwise weigh most of the page.
    pub path: String,
    /// Horizontal grid lines with their values.
    pub grid: Vec<Tick>,
    /// Labels under the bars.
    pub ticks: Vec<Tick>,
    pub total: i64,
    pub max: i64,
}

/// Rounds to a tenth: enough for a `viewBox` 720 wide, and short in HTML.
fn tenth(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The smallest of 1, 2, 5 × 10ⁿ at least `max` (and at least 1).
#[must_use]
pub fn nice_ceiling(max: i64) -> i64 {
    let mut step = 1_i64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

#[allow(clippy::cast_precision_loss)] // counts far below 2^52
fn f(v: i64) -> f64 {
    v as f64
}

/// A bar chart of `values` (oldest first), `height` tall, with `label(i)`
/// naming bar `i` and `tick(i)` its label under the axis, if any, and
/// whether that label is minor. With `axes` false the chart is a bare strip
/// (no grid, no labels).
pub fn bars(
    values: &[i64],
    height: f64,
    axes: bool,
    label: impl Fn(usize, i64) -> String,
    tick: impl Fn(usize) -> Option<(String, bool)>,
) -> BarChart {
    let (left, top, bottom) = if axes {
        (LEFT, TOP, BOTTOM)
    } else {
        (0.0, 2.0, 0.0)
    };
    let base = height - bottom;
    let plot = base - top;
    let max = values.iter().copied().max().unwrap_or(0);
    let ceiling = nice_ceiling(max);
    let slot = (WIDTH - left) / f(i64::try_from(values.len().max(1)).unwrap_or(1));
    let gap = if slot > 4.0 { 1.0 } else { 0.0 };
    let mut out = Vec::with_capacity(values.len());
    let mut ticks = Vec::new();
    let mut x = left;
    for (i, &value) in values.iter().enumerate() {
        let h = plot * f(value) / f(ceiling);
        // A day with messages is never drawn as nothing.
        let h = if value > 0 { h.max(1.0) } else { 0.0 };
        out.push(Bar {
            x: tenth(x + gap / 2.0),
            y: tenth(base - h),
            w: tenth(slot - gap),
            h: tenth(h),
            label: label(i, value),
            value,
        });
        if axes && let Some((text, minor)) = tick(i) {
            let mid = x + slot / 2.0;
            let anchor = anchor(mid, left, &text);
            let x = match anchor {
                "end" => WIDTH,
                "start" => left,
                _ => mid,
            };
            ticks.push(Tick {
                x: tenth(x),
                y: height - 4.0,
                label: text,
                anchor,
                minor,
            });
        }
        x += slot;
    }
    let grid = if axes {
        [ceiling / 2, ceiling]
            .into_iter()
            .filter(|v| *v > 0)
            .map(|v| Tick {
                x: left - 6.0,
                y: tenth(base - plot * f(v) / f(ceiling)),
                label: thousands(v),
                anchor: "end",
                minor: false,
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut path = String::new();
    if !axes {
        use std::fmt::Write as _;
        for b in out.iter().filter(|b| b.h > 0.0) {
            let _ = write!(path, "M{} {}h{}v{}h-{}z", b.x, b.y, b.w, b.h, b.w);
        }
        out.clear();
    }
    BarChart {
        width: WIDTH,
        height,
        left,
        base,
        bars: out,
        path,
        grid,
        ticks,
        total: values.iter().sum(),
        max,
    }
}

/// One cell of the heat map.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub x: f64,
    pub y: f64,
    /// 0 (none) to 4 (the busiest hours): the class that colours it.
    pub level: i64,
    pub label: String,
    pub value: i64,
}

/// The heat map of the week's hours, ready to draw.
#[derive(Debug, Clone, Serialize)]
pub struct HeatMap {
    pub width: f64,
    pub height: f64,
    pub cell_w: f64,
    pub cell_h: f64,
    pub cells: Vec<Cell>,
    /// Weekday names on the left, hours along the top.
    pub rows: Vec<Tick>,
    pub columns: Vec<Tick>,
}

/// The short name of weekday `d` (0 Monday) in the page's language.
#[must_use]
pub fn weekday(d: usize) -> String {
    crate::web::i18n::count("date-weekday-short", i64::try_from(d + 1).unwrap_or(7))
}

/// Lays out the 7 × 24 grid of messages per hour of the week.
#[must_use]
pub fn heat_map(grid: &[[i64; 24]; 7]) -> HeatMap {
    let (left, top, cell_w, cell_h, gap) = (50.0, 22.0, 26.0, 20.0, 2.0);
    let max = grid.iter().flatten().copied().max().unwrap_or(0);
    let mut cells = Vec::with_capacity(7 * 24);
    let mut rows = Vec::new();
    let mut y = top;
    for (d, hours) in grid.iter().enumerate() {
        rows.push(Tick {
            x: left - 6.0,
            y: y + cell_h / 2.0 + 4.0,
            label: weekday(d),
            anchor: "end",
            minor: false,
        });
        let mut x = left;
        for (h, &value) in hours.iter().enumerate() {
            let level = if value == 0 || max == 0 {
                0
            } else {
                // 1 to 4 by quarters of the busiest hour.
                ((4 * value + max - 1) / max).clamp(1, 4)
            };
            cells.push(Cell {
                x,
                y,
                level,
                label: {
                    let mut args = fluent_bundle::FluentArgs::new();
                    args.set("weekday", weekday(d));
                    args.set("hour", format!("{h:02}"));
                    args.set("count", value);
                    crate::web::i18n::text("admin-heat-cell", Some(&args))
                },
                value,
            });
            x += cell_w + gap;
        }
        y += cell_h + gap;
    }
    let columns = (0..24)
        .step_by(3)
        .map(|h: i32| Tick {
            x: left + f64::from(h) * (cell_w + gap) + cell_w / 2.0,
            y: top - 6.0,
            label: format!("{h:02}"),
            anchor: "middle",
            minor: h % 6 != 0,
        })
        .collect();
    HeatMap {
        width: tenth(left + 24.0 * (cell_w + gap)),
        height: tenth(y),
        cell_w,
        cell_h,
        cells,
        rows,
        columns,
    }
}

/// A count with thin separators: `12 345`.
#[must_use]
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    // The reader's grouping mark ("1,234", "1.234").
    let mark = crate::web::i18n::text("number-group-mark", None);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(&mark);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_strip_is_one_path() {
        let strip = bars(&[0, 2, 4], 40.0, false, |_, _| String::new(), |_| None);
        assert!(strip.bars.is_empty());
        assert_eq!(strip.path.matches('M').count(), 2, "{}", strip.path);
        assert!(strip.path.starts_with("M240.5 "), "{}", strip.path);
    }

    #[test]
    fn ceilings_are_round() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(12), 20);
        assert_eq!(nice_ceiling(51), 100);
        assert_eq!(nice_ceiling(100), 100);
    }

    #[test]
    fn bars_fill_the_width_and_scale_to_the_ceiling() {
        let chart = bars(
            &[0, 5, 10],
            120.0,
            true,
            |i, v| format!("{i}:{v}"),
            |i| Some((format!("{i}: a label as wide as a bar"), i == 1)),
        );
        assert_eq!(chart.total, 15);
        assert_eq!(chart.max, 10);
        let tallest = &chart.bars[2];
        assert!((tallest.y - TOP).abs() < 0.01, "10 of 10 reaches the top");
        assert!((tallest.y + tallest.h - chart.base).abs() < 0.01);
        assert_eq!(chart.bars[0].h, 0.0);
        let right = chart.bars[2].x + chart.bars[2].w;
        assert!(right <= WIDTH && right > WIDTH - 2.0);
        assert_eq!(chart.grid.len(), 2);
        let anchors: Vec<_> = chart.ticks.iter().map(|t| t.anchor).collect();
        assert_eq!(anchors, ["start", "middle", "end"], "labels stay inside");
        assert!(chart.ticks[1].minor);
    }

    #[test]
    fn the_heat_map_has_a_cell_per_hour_and_five_levels() {
        let mut grid = [[0; 24]; 7];
        grid[0][9] = 8;
        grid[4][17] = 1;
        let map = heat_map(&grid);
        assert_eq!(map.cells.len(), 168);
        assert_eq!(map.cells[9].level, 4);
        assert_eq!(map.cells[4 * 24 + 17].level, 1);
        assert_eq!(map.cells[0].level, 0);
        assert!(map.cells[9].label.starts_with("Mon 09:00"));
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
