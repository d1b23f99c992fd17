//! The report's two kinds of chart, drawn with plotters' SVG backend into strings: latency
//! percentile curves and horizontal bars of davlite/peer ratios.
//!
//! Both axes are mapped by hand onto plain linear coordinates (percentiles onto "nines",
//! latencies and ratios onto log10 when they span a wide range) with explicit tick positions,
//! so one code path draws every variant and the ticks land on round, readable values.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Series colours, in order; distinguishable in print and for the common colour blindnesses.
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(90, 90, 90),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The highest percentile a curve is drawn to: 99.9 is 3 on the nines scale.
const TOP_NINES: f64 = 3.0;

/// Position of percentile `p` on the "nines" scale: 0 -> 0, 90 -> 1, 99 -> 2, 99.9 -> 3, so
/// the tail, where servers differ, is not squeezed into the last pixels.
pub fn nines(p: f64) -> f64 {
    let rest = (1.0 - p / 100.0).max(10f64.powf(-TOP_NINES));
    (-rest.log10()).max(0.0)
}

fn percentile_of(x: f64) -> f64 {
    100.0 * (1.0 - 10f64.powf(-x))
}

/// A number as a short label: 0.25, 1.5, 12, 1200.
pub fn short_number(v: f64) -> String {
    let s = if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A value axis: linear from zero, or log10 when the values span more than `LOG_SPAN` times.
struct Scale {
    log: bool,
    /// Range and ticks in drawing coordinates (log10 of the value when `log`).
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

/// Above this max/min ratio a linear axis would flatten the small values into a line.
const LOG_SPAN: f64 = 20.0;

impl Scale {
    fn new(min: f64, max: f64, force_log: bool) -> Scale {
        let min = min.max(1e-6);
        let max = max.max(min);
        if force_log || max / min > LOG_SPAN {
            let (lo_v, hi_v) = (min / 1.25, max * 1.25);
            let mut ticks = Vec::new();
            for decade in lo_v.log10().floor() as i32..=hi_v.log10().ceil() as i32 {
                for m in [1.0, 2.0, 5.0] {
                    let v = m * 10f64.powi(decade);
                    if (lo_v..=hi_v).contains(&v) {
                        ticks.push(v.log10());
                    }
                }
            }
            return Scale {
                log: true,
                lo: lo_v.log10(),
                hi: hi_v.log10(),
                ticks,
            };
        }
        let step = nice_step(max * 1.1 / 5.0);
        let hi = (max * 1.1 / step).ceil() * step;
        let ticks = (0..=(hi / step).round() as usize)
            .map(|i| i as f64 * step)
            .collect();
        Scale {
            log: false,
            lo: 0.0,
            hi,
            ticks,
        }
    }

    fn at(&self, v: f64) -> f64 {
        if self.log { v.max(1e-9).log10() } else { v }
    }

    fn label(&self, x: f64) -> String {
        short_number(if self.log { 10f64.powf(x) } else { x })
    }
}

/// The smallest of 1, 2, 5 x 10^k at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let base = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * base)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * base)
}

/// A linear axis with ticks exactly where we say. plotters' own `with_key_points` does this
/// for integers, but on an `f64` range it loses the custom label formatter.
#[derive(Clone)]
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = (v - self.lo) / (self.hi - self.lo).max(1e-12);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Bold lines and labels at the ticks; no light lines between them.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// One server's curve: its name and (percentile, ms) points.
pub struct Curve<'a> {
    pub label: &'a str,
    pub points: &'a [(f64, f64)],
}

/// Latency against percentile for each curve, on one chart (SVG text).
pub fn percentile_svg(title: &str, curves: &[Curve<'_>]) -> Result<String, String> {
    let values = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1))
        .filter(|v| *v > 0.0);
    let (min, max) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let y = if max > 0.0 {
        Scale::new(min, max, false)
    } else {
        Scale::new(1.0, 1.0, false)
    };
    let x_ticks: Vec<f64> = [0.0, 50.0, 90.0, 99.0, 99.9].map(nines).to_vec();
    // Headroom above the highest value for the legend, so it never hides a curve: about
    // 20 px per server out of the plot's ~310 px.
    let legend_px = (curves.len() * 20 + 20).min(200) as f64;
    let y_top = y.hi + (y.hi - y.lo) * legend_px / (310.0 - legend_px);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 400)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(
                Ticked {
                    lo: 0.0,
                    hi: TOP_NINES,
                    ticks: x_ticks,
                },
                Ticked {
                    lo: y.lo,
                    hi: y_top,
                    ticks: y.ticks.clone(),
                },
            )
            .map_err(err)?;
        let x_fmt = |x: &f64| short_number(percentile_of(*x));
        let y_fmt = |v: &f64| y.label(*v);
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc(if y.log {
                "latency, ms (log scale)"
            } else {
                "latency, ms"
            })
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 14))
            .light_line_style(WHITE)
            .bold_line_style(BLACK.mix(0.12))
            .draw()
            .map_err(err)?;
        for (i, c) in curves.iter().enumerate() {
            let col = colour(i);
            let pts: Vec<(f64, f64)> = c
                .points
                .iter()
                .filter(|p| p.0 <= 99.9)
                .map(|&(p, v)| (nines(p), y.at(v)))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, col.stroke_width(2)).point_size(2))
                .map_err(err)?
                .label(c.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], col));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// One bar: category (row) index, series index, ratio.
pub type Bar = (usize, usize, f64);

/// Horizontal bars of ratios on a log axis around 1: rows are `categories`, one bar per
/// series in each row, labelled with its value (SVG text).
pub fn ratio_svg(
    title: &str,
    categories: &[String],
    series: &[String],
    bars: &[Bar],
) -> Result<String, String> {
    let (min, max) = bars
        .iter()
        .fold((0.5f64, 2.0f64), |(lo, hi), b| (lo.min(b.2), hi.max(b.2)));
    let x = Scale::new(min, max, true);
    // Room on the right for the value labels.
    let x_hi = x.hi + (x.hi - x.lo) * 0.12;
    let n = categories.len().max(1) as f64;
    let per_row = (series.len().max(1) * 16).max(26) as u32;
    // Empty rows on top hold the legend, so it never covers a bar.
    let legend_rows = f64::from(series.len() as u32 * 18 + 24) / f64::from(per_row);
    let legend_rows = legend_rows.ceil();
    let height = 110 + per_row * (categories.len().max(1) as u32 + legend_rows as u32);
    let y_ticks: Vec<f64> = (0..categories.len()).map(|i| n - i as f64 - 0.5).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(150)
            .build_cartesian_2d(
                Ticked {
                    lo: x.lo,
                    hi: x_hi,
                    ticks: x.ticks.clone(),
                },
                Ticked {
                    lo: 0.0,
                    hi: n + legend_rows,
                    ticks: y_ticks,
                },
            )
            .map_err(err)?;
        let x_fmt = |v: &f64| format!("{}x", x.label(*v));
        let y_fmt = |v: &f64| {
            let i = (n - v - 0.5).round();
            if i >= 0.0 {
                categories.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_desc("times better than the peer (log scale; higher is better for davlite)")
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 14))
            .light_line_style(WHITE)
            .bold_line_style(BLACK.mix(0.12))
            .draw()
            .map_err(err)?;
        let slot = 0.8 / series.len().max(1) as f64;
        for (j, name) in series.iter().enumerate() {
            let col = colour(j);
            let rects = bars.iter().filter(|b| b.1 == j).map(|&(i, _, r)| {
                let top = n - i as f64 - 0.1 - j as f64 * slot;
                Rectangle::new([(0.0, top), (x.at(r), top - slot * 0.9)], col.filled())
            });
            chart
                .draw_series(rects)
                .map_err(err)?
                .label(name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], col.filled()));
        }
        let pad = (x.hi - x.lo) * 0.01;
        chart
            .draw_series(bars.iter().map(|&(i, j, r)| {
                let mid = n - i as f64 - 0.1 - (j as f64 + 0.45) * slot;
                Text::new(
                    format!("{}x", short_number(r)),
                    (x.at(r).max(0.0) + pad, mid),
                    TextStyle::from(("sans-serif", 14).into_font())
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                )
            }))
            .map_err(err)?;
        // The line where davlite and the peer are equal.
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (0.0, n)],
                BLACK.stroke_width(1),
            ))
            .map_err(err)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nines_spreads_the_tail() {
        assert_eq!(nines(0.0), 0.0);
        assert!((nines(90.0) - 1.0).abs() < 1e-9);
        assert!((nines(99.0) - 2.0).abs() < 1e-9);
        assert!((nines(99.9) - 3.0).abs() < 1e-9);
        assert_eq!(nines(100.0), 3.0);
        assert_eq!(short_number(percentile_of(nines(99.9))), "99.9");
    }

    #[test]
    fn scales_pick_round_ticks_and_log_only_when_wide() {
        let lin = Scale::new(1.0, 9.0, false);
        assert!(!lin.log);
        assert_eq!(lin.ticks, vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let log = Scale::new(0.3, 120.0, false);
        assert!(log.log);
        let labels: Vec<String> = log.ticks.iter().map(|&t| log.label(t)).collect();
        assert_eq!(labels, ["0.5", "1", "2", "5", "10", "20", "50", "100"]);
        assert_eq!(short_number(0.125), "0.125");
        assert_eq!(short_number(12.0), "12");
        assert_eq!(short_number(1234.4), "1234");
    }
}
