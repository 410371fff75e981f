//! The 3-D state-space figure: the same [`TrajPlot`] data as the 2-D one, seen through a fixed
//! oblique orthographic camera (azimuth −55°, elevation 25°, like matplotlib's default view).
//!
//! Each axis is scaled to the unit box `[-1, 1]` (tick labels keep data units). The three back
//! panes are shaded with grid lines at the ticks; x and y ticks sit on the front floor edges,
//! z ticks on the left vertical edge. Projection and layout are done here in pixels, since
//! plotters' 3-D chart cannot label its axes.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axes::{bold, draw_legend_at, legend_size, note_style};
use crate::colorbar::{colorbar_width, draw_colorbar};
use crate::output::{save, DrawErr, DrawResult, Figure};
use crate::style::{
    finite_range, nice_ticks, padded, tick_text, INK, LABEL_SIZE, TICK_SIZE, TITLE_SIZE,
};
use crate::traj::{draw_marker, draw_start, finite_runs, TrajColor, TrajPlot};
use crate::PlotError;

/// Draws a 3-D state-space figure (1000×760 px) and writes `STEM.png` / `STEM.svg`.
pub fn trajectories_3d(stem: impl AsRef<Path>, plot: &TrajPlot<3>) -> Result<(), PlotError> {
    save(stem.as_ref(), &Traj3d(plot))
}

struct Traj3d<'a>(&'a TrajPlot<3>);

/// Fixed orthographic camera plus the data → unit-box scaling.
struct Camera {
    right: [f64; 3],
    up: [f64; 3],
    toward: [f64; 3],
    lo: [f64; 3],
    hi: [f64; 3],
    scale: f64,
    origin: (f64, f64),
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

impl Camera {
    fn new(lo: [f64; 3], hi: [f64; 3], (w, h): (i32, i32), pad: i32) -> Camera {
        let (az, el) = (-55f64.to_radians(), 25f64.to_radians());
        let mut cam = Camera {
            right: [-az.sin(), az.cos(), 0.0],
            up: [-el.sin() * az.cos(), -el.sin() * az.sin(), el.cos()],
            toward: [el.cos() * az.cos(), el.cos() * az.sin(), el.sin()],
            lo,
            hi,
            scale: 1.0,
            origin: (0.0, 0.0),
        };
        // Fit the projected unit box into the area, keeping the projection's aspect.
        let corners: Vec<(f64, f64)> = (0..8)
            .map(|c| {
                let u = [0, 1, 2].map(|k| if c >> k & 1 == 1 { 1.0 } else { -1.0 });
                (dot(u, cam.right), dot(u, cam.up))
            })
            .collect();
        let sx = finite_range(corners.iter().map(|c| c.0)).unwrap_or((-1.0, 1.0));
        let sy = finite_range(corners.iter().map(|c| c.1)).unwrap_or((-1.0, 1.0));
        let avail = ((w - 2 * pad).max(50) as f64, (h - 2 * pad).max(50) as f64);
        cam.scale = (avail.0 / (sx.1 - sx.0)).min(avail.1 / (sy.1 - sy.0));
        let cx = w as f64 / 2.0 - cam.scale * (sx.0 + sx.1) / 2.0;
        let cy = h as f64 / 2.0 + cam.scale * (sy.0 + sy.1) / 2.0;
        cam.origin = (cx, cy);
        cam
    }

    /// Data point → unit box.
    fn unit(&self, p: [f64; 3]) -> [f64; 3] {
        [0, 1, 2].map(|k| 2.0 * (p[k] - self.lo[k]) / (self.hi[k] - self.lo[k]) - 1.0)
    }

    /// Unit-box point → pixel.
    fn px(&self, u: [f64; 3]) -> (i32, i32) {
        (
            (self.origin.0 + self.scale * dot(u, self.right)).round() as i32,
            (self.origin.1 - self.scale * dot(u, self.up)).round() as i32,
        )
    }

    fn data_px(&self, p: [f64; 3]) -> (i32, i32) {
        self.px(self.unit(p))
    }

    /// Side (±1) of the back pane perpendicular to axis `k`.
    fn back(&self, k: usize) -> f64 {
        if self.toward[k] > 0.0 {
            -1.0
        } else {
            1.0
        }
    }
}

impl Figure for Traj3d<'_> {
    fn size(&self) -> (u32, u32) {
        (1000, 760)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let p = self.0;
        let area = if p.title.is_empty() {
            root.clone()
        } else {
            root.titled(&p.title, bold(TITLE_SIZE))?
        };
        let area = match &p.colorbar {
            Some((label, lo, hi)) => {
                let (w, h) = area.dim_in_pixel();
                let (main, bar) =
                    area.split_horizontally(w as i32 - colorbar_width((*lo, *hi), label) - 10);
                draw_colorbar(&bar, (4, 40, h as i32 - 60), (*lo, *hi), p.colormap, label)?;
                main
            }
            None => area,
        };
        let entries = p.entries();
        let area = if entries.is_empty() {
            area
        } else {
            let (w, h) = area.dim_in_pixel();
            let (lw, lh) = legend_size(&entries);
            let (main, side) = area.split_horizontally(w as i32 - lw - 14);
            draw_legend_at(&side, &entries, (4, ((h as i32 - lh) / 2).max(0)))?;
            main
        };
        let ranges: Vec<(f64, f64)> = (0..3)
            .map(|k| padded(finite_range(p.coords(k)), 0.02))
            .collect();
        let lo = [ranges[0].0, ranges[1].0, ranges[2].0];
        let hi = [ranges[0].1, ranges[1].1, ranges[2].1];
        let (w, h) = area.dim_in_pixel();
        let cam = Camera::new(lo, hi, (w as i32, h as i32), 75);
        draw_box(&area, &cam, p)?;
        draw_data(&area, &cam, p)?;
        Ok(())
    }
}

/// Back panes, grid lines, tick labels and axis names.
fn draw_box<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    cam: &Camera,
    p: &TrajPlot<3>,
) -> Result<(), DrawErr> {
    let ticks: Vec<Vec<f64>> = (0..3)
        .map(|k| nice_ticks(cam.lo[k], cam.hi[k], 5))
        .collect();
    let unit_of = |k: usize, v: f64| 2.0 * (v - cam.lo[k]) / (cam.hi[k] - cam.lo[k]) - 1.0;
    for k in 0..3 {
        let (a, b) = ((k + 1) % 3, (k + 2) % 3);
        let mut corner = [0.0; 3];
        corner[k] = cam.back(k);
        let pane: Vec<(i32, i32)> = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
            .iter()
            .map(|(sa, sb)| {
                let mut u = corner;
                u[a] = *sa;
                u[b] = *sb;
                cam.px(u)
            })
            .collect();
        area.draw(&Polygon::new(
            pane.clone(),
            RGBColor(242, 242, 242).filled(),
        ))?;
        let mut outline = pane.clone();
        outline.push(pane[0]);
        area.draw(&PathElement::new(
            outline,
            RGBColor(170, 170, 170).stroke_width(1),
        ))?;
        for (axis, other) in [(a, b), (b, a)] {
            for v in &ticks[axis] {
                let (mut u0, mut u1) = (corner, corner);
                u0[axis] = unit_of(axis, *v);
                u1[axis] = u0[axis];
                u0[other] = -1.0;
                u1[other] = 1.0;
                let line = vec![cam.px(u0), cam.px(u1)];
                area.draw(&PathElement::new(
                    line,
                    RGBColor(214, 214, 214).stroke_width(1),
                ))?;
            }
        }
    }
    // Edges carrying the ticks: x and y on the front floor edges, z on the leftmost upright.
    let floor = cam.back(2);
    let mut edges: [[f64; 3]; 3] = [
        [0.0, -cam.back(1), floor],
        [-cam.back(0), 0.0, floor],
        [0.0; 3],
    ];
    let (mut best, mut best_x) = ([-1.0, -1.0, 0.0], f64::INFINITY);
    for sx in [-1.0, 1.0] {
        for sy in [-1.0, 1.0] {
            let x = dot([sx, sy, 0.0], cam.right);
            if x < best_x {
                best_x = x;
                best = [sx, sy, 0.0];
            }
        }
    }
    edges[2] = best;
    let center = cam.px([0.0; 3]);
    for k in 0..3 {
        let mid = cam.px(edges[k]);
        let (dx, dy) = ((mid.0 - center.0) as f64, (mid.1 - center.1) as f64);
        let norm = (dx * dx + dy * dy).sqrt().max(1.0);
        let dir = if k == 2 {
            (-1.0, 0.0)
        } else {
            (dx / norm, dy / norm)
        };
        let anchor = Pos::new(
            if dir.0 < -0.35 {
                HPos::Right
            } else if dir.0 > 0.35 {
                HPos::Left
            } else {
                HPos::Center
            },
            if dir.1 > 0.35 {
                VPos::Top
            } else if dir.1 < -0.35 {
                VPos::Bottom
            } else {
                VPos::Center
            },
        );
        let tick_style = note_style(INK, TICK_SIZE).pos(anchor);
        for v in &ticks[k] {
            let mut u = edges[k];
            u[k] = unit_of(k, *v);
            let (x, y) = cam.px(u);
            let at = (
                (x as f64 + dir.0 * 10.0) as i32,
                (y as f64 + dir.1 * 10.0) as i32,
            );
            area.draw(&Text::new(tick_text(*v), at, tick_style.clone()))?;
        }
        let name_off = if k == 2 { 62.0 } else { 46.0 };
        let at = (
            (mid.0 as f64 + dir.0 * name_off) as i32,
            (mid.1 as f64 + dir.1 * name_off) as i32,
        );
        let style = note_style(INK, LABEL_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
        let style = if k == 2 {
            style.transform(FontTransform::Rotate270)
        } else {
            style
        };
        area.draw(&Text::new(p.axis_labels[k].clone(), at, style))?;
    }
    Ok(())
}

fn draw_data<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    cam: &Camera,
    p: &TrajPlot<3>,
) -> Result<(), DrawErr> {
    let thin = p.trajs.len() > 40;
    for t in &p.trajs {
        let color = p.traj_color(t);
        let style = if thin {
            color.mix(0.6).stroke_width(1)
        } else {
            color.stroke_width(2)
        };
        for run in finite_runs(&t.points) {
            let pts: Vec<(i32, i32)> = run.iter().map(|q| cam.data_px(*q)).collect();
            if matches!(t.color, TrajColor::Value(_)) {
                let halo = RGBColor(175, 175, 175).stroke_width(style.stroke_width + 2);
                area.draw(&PathElement::new(pts.clone(), halo))?;
            }
            area.draw(&PathElement::new(pts, style))?;
        }
    }
    for s in &p.segments {
        if s.from.iter().chain(&s.to).all(|v| v.is_finite()) {
            let pts = vec![cam.data_px(s.from), cam.data_px(s.to)];
            area.draw(&PathElement::new(pts, INK.stroke_width(4)))?;
        }
    }
    if p.mark_start {
        for t in &p.trajs {
            if let Some(first) = finite_runs(&t.points).first().and_then(|r| r.first()) {
                draw_start(area, cam.data_px(*first), p.traj_color(t))?;
            }
        }
    }
    for m in &p.markers {
        if m.pos.iter().all(|v| v.is_finite()) {
            draw_marker(area, cam.data_px(m.pos), m.kind)?;
        }
    }
    Ok(())
}
