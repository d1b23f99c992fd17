//! The soak's pictures: throughput, latency and server memory over the run, one panel each,
//! drawn with plotters into a self-contained SVG (no fonts or scripts needed to view it).

use std::path::Path;

use plotters::prelude::*;

use super::mixed::WindowRow;

type Panel<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
/// A named, coloured line of (seconds, value) points.
type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

fn panel(
    area: &Panel<'_>,
    caption: &str,
    unit: &str,
    end_s: f64,
    series: &[Series<'_>],
) -> Result<(), String> {
    let top = series
        .iter()
        .flat_map(|(_, _, pts)| pts.iter().map(|p| p.1))
        .fold(0.0f64, f64::max)
        * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..end_s.max(1.0), 0.0..top.max(1e-3))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc(unit)
        .draw()
        .map_err(|e| e.to_string())?;
    for (name, color, pts) in series {
        let color = *color;
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Writes the soak chart of `rows` to `path` (SVG).
pub fn soak_svg(rows: &[WindowRow], title: &str, path: &Path) -> Result<(), String> {
    let root = SVGBackend::new(path, (960, 900)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root
        .titled(title, ("sans-serif", 22))
        .map_err(|e| e.to_string())?;
    let areas = root.split_evenly((3, 1));
    let end = rows.last().map_or(1.0, |r| r.start_s) + 1.0;
    let pts = |f: &dyn Fn(&WindowRow) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter()
            .filter_map(|r| f(r).map(|v| (r.start_s, v)))
            .collect()
    };
    panel(
        &areas[0],
        "throughput",
        "requests/s",
        end,
        &[("requests/s", BLUE, pts(&|r| Some(r.ops_per_sec)))],
    )?;
    panel(
        &areas[1],
        "latency",
        "ms",
        end,
        &[
            ("p50", GREEN, pts(&|r| Some(r.p50_ms))),
            ("p99", RED, pts(&|r| Some(r.p99_ms))),
        ],
    )?;
    panel(
        &areas[2],
        "server resident memory",
        "MiB",
        end,
        &[(
            "RSS",
            MAGENTA,
            pts(&|r| r.rss_kib.map(|k| k as f64 / 1024.0)),
        )],
    )?;
    root.present().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soak_chart_is_an_svg_with_its_three_panels() {
        let rows: Vec<WindowRow> = (0..12)
            .map(|i| WindowRow {
                start_s: i as f64 * 10.0,
                ops: 100,
                ops_per_sec: 1000.0 + i as f64,
                p50_ms: 1.0,
                p99_ms: 5.0,
                errors: 0,
                rss_kib: Some(40_000),
            })
            .collect();
        let path = std::env::temp_dir().join(format!("soak-{}.svg", std::process::id()));
        soak_svg(&rows, "test soak", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        for text in [
            "throughput",
            "latency",
            "server resident memory",
            "p99",
            "test soak",
        ] {
            assert!(svg.contains(text), "no {text:?} in the chart");
        }
        assert!(svg.matches("<polyline").count() >= 4);
    }
}
