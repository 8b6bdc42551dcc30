//! A small page-layout toolkit on top of `krilla`: frames of positioned items (text lines,
//! rules, boxes, images) built at the origin, measured, then placed on pages; and the painter
//! that writes the pages to PDF. Coordinates are PDF points, y growing downwards from the top.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;

use crate::fonts::{Typeface, Weight};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Color(pub u8, pub u8, pub u8);

impl Color {
    pub const BLACK: Color = Color(0, 0, 0);

    pub fn gray(l: u8) -> Color {
        Color(l, l, l)
    }

    /// `#rrggbb`.
    pub fn parse(hex: &str) -> Option<Color> {
        let h = hex.strip_prefix('#')?;
        if h.len() != 6 || !h.is_ascii() {
            return None;
        }
        let c = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
        Some(Color(c(0)?, c(2)?, c(4)?))
    }

    fn paint(self) -> krilla::paint::Paint {
        rgb::Color::new(self.0, self.1, self.2).into()
    }
}

/// How a piece of text looks.
#[derive(Debug, Clone, Copy)]
pub struct Font {
    pub size: f32,
    pub weight: Weight,
    pub color: Color,
}

impl Font {
    pub fn new(size: f32) -> Font {
        Font { size, weight: Weight::Regular, color: Color::BLACK }
    }

    pub fn bold(self) -> Font {
        Font { weight: Weight::Bold, ..self }
    }

    pub fn color(self, color: Color) -> Font {
        Font { color, ..self }
    }

    /// Distance between baselines.
    pub fn leading(&self) -> f32 {
        self.size * 1.22
    }
}

#[derive(Clone)]
pub enum Item {
    /// One line of text; `y` is its baseline.
    Text {
        x: f32,
        y: f32,
        font: Font,
        text: String,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
        color: Color,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        radius: f32,
        fill: Option<Color>,
        stroke: Option<(Color, f32)>,
    },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: Image,
    },
}

impl Item {
    fn shifted(&self, dx: f32, dy: f32) -> Item {
        match self.clone() {
            Item::Text { x, y, font, text } => Item::Text { x: x + dx, y: y + dy, font, text },
            Item::Line { from, to, width, color } => {
                Item::Line { from: (from.0 + dx, from.1 + dy), to: (to.0 + dx, to.1 + dy), width, color }
            }
            Item::Rect { x, y, w, h, radius, fill, stroke } => {
                Item::Rect { x: x + dx, y: y + dy, w, h, radius, fill, stroke }
            }
            Item::Image { x, y, w, h, image } => Item::Image { x: x + dx, y: y + dy, w, h, image },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Align {
    Left,
    Right,
    Center,
}

/// Items laid out from the origin; `height` is how much vertical room they take.
#[derive(Clone, Default)]
pub struct Frame {
    pub items: Vec<Item>,
    pub width: f32,
    pub height: f32,
}

impl Frame {
    pub fn new(width: f32) -> Frame {
        Frame { items: Vec::new(), width, height: 0.0 }
    }

    pub fn push(&mut self, item: Item) {
        self.items.push(item);
    }

    /// Places another frame's items at (`dx`, `dy`) and grows to hold them.
    pub fn place(&mut self, other: &Frame, dx: f32, dy: f32) {
        self.items.extend(other.items.iter().map(|i| i.shifted(dx, dy)));
        self.height = self.height.max(dy + other.height);
    }

    /// Places `other` below what is there, after a gap.
    pub fn stack(&mut self, other: &Frame, gap: f32) {
        let y = if self.height > 0.0 { self.height + gap } else { 0.0 };
        self.place(other, 0.0, y);
    }

    pub fn gap(&mut self, h: f32) {
        self.height += h;
    }
}

/// Lays out text: single lines and wrapped paragraphs.
pub struct Setter<'a> {
    pub tf: &'a Typeface,
}

impl Setter<'_> {
    pub fn width(&self, text: &str, font: Font) -> f32 {
        self.tf.width(text, font.weight, font.size)
    }

    /// The baseline of a line whose top is `top`.
    fn baseline(&self, top: f32, font: Font) -> f32 {
        top + self.tf.regular().ascent * font.size
    }

    /// `text` wrapped to `width`, each line aligned within it, as a frame of that width.
    pub fn paragraph(&self, text: &str, font: Font, width: f32, align: Align) -> Frame {
        let mut f = Frame::new(width);
        for (i, line) in self.tf.wrap(text, font.weight, font.size, width).into_iter().enumerate() {
            let top = i as f32 * font.leading();
            let x = match align {
                Align::Left => 0.0,
                Align::Right => width - self.width(&line, font),
                Align::Center => (width - self.width(&line, font)) / 2.0,
            };
            f.push(Item::Text { x, y: self.baseline(top, font), font, text: line });
            f.height = top + font.leading();
        }
        f
    }

    /// Several paragraphs one below the other.
    pub fn lines(&self, texts: &[String], font: Font, width: f32) -> Frame {
        let mut f = Frame::new(width);
        for t in texts {
            f.stack(&self.paragraph(t, font, width, Align::Left), 0.0);
        }
        f
    }

    /// The widest single line among `texts`.
    pub fn max_width<'t>(&self, texts: impl IntoIterator<Item = &'t str>, font: Font) -> f32 {
        texts.into_iter().map(|t| self.width(t, font)).fold(0.0, f32::max)
    }
}

/// A rectangle with rounded corners, as a path.
fn rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<krilla::geom::Path> {
    let mut pb = PathBuilder::new();
    if r <= 0.0 {
        pb.push_rect(Rect::from_xywh(x, y, w, h)?);
        return pb.finish();
    }
    let r = r.min(w / 2.0).min(h / 2.0);
    let k = 0.552_284_8 * r;
    let (l, t, rt, b) = (x, y, x + w, y + h);
    pb.move_to(l + r, t);
    pb.line_to(rt - r, t);
    pb.cubic_to(rt - r + k, t, rt, t + r - k, rt, t + r);
    pb.line_to(rt, b - r);
    pb.cubic_to(rt, b - r + k, rt - r + k, b, rt - r, b);
    pb.line_to(l + r, b);
    pb.cubic_to(l + r - k, b, l, b - r + k, l, b - r);
    pb.line_to(l, t + r);
    pb.cubic_to(l, t + r - k, l + r - k, t, l + r, t);
    pb.close();
    pb.finish()
}

/// Paints one page's items.
pub fn paint(surface: &mut Surface, tf: &Typeface, items: &[Item]) {
    for item in items {
        match item {
            Item::Text { x, y, font, text } => {
                surface.set_stroke(None);
                surface.set_fill(Some(Fill { paint: font.color.paint(), ..Fill::default() }));
                let mut cx = *x;
                for run in tf.runs(text, font.weight) {
                    let face = tf.face(run.face);
                    surface.draw_glyphs(
                        Point::from_xy(cx, *y),
                        &run.glyphs,
                        face.font.clone(),
                        &run.text,
                        font.size,
                        false,
                    );
                    cx += run.glyphs.iter().map(|g| g.x_advance).sum::<f32>() * font.size;
                }
            }
            Item::Line { from, to, width, color } => {
                let mut pb = PathBuilder::new();
                pb.move_to(from.0, from.1);
                pb.line_to(to.0, to.1);
                if let Some(path) = pb.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke { paint: color.paint(), width: *width, ..Stroke::default() }));
                    surface.draw_path(&path);
                }
            }
            Item::Rect { x, y, w, h, radius, fill, stroke } => {
                if let Some(path) = rounded_rect(*x, *y, *w, *h, *radius) {
                    surface.set_fill(fill.map(|c| Fill { paint: c.paint(), ..Fill::default() }));
                    surface.set_stroke(stroke.map(|(c, width)| Stroke {
                        paint: c.paint(),
                        width,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                }
            }
            Item::Image { x, y, w, h, image } => {
                if let Some(size) = Size::from_wh(*w, *h) {
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    surface.draw_image(image.clone(), size);
                    surface.pop();
                }
            }
        }
    }
    surface.set_fill(None);
    surface.set_stroke(None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_and_frames_stack() {
        assert_eq!(Color::parse("#1f4e79"), Some(Color(0x1f, 0x4e, 0x79)));
        assert_eq!(Color::parse("1f4e79"), None);
        assert_eq!(Color::parse("#1f4e7"), None);
        let tf = Typeface::shipped(Vec::new());
        let s = Setter { tf: &tf };
        let p = s.paragraph("un deux trois quatre cinq six sept huit neuf dix", Font::new(10.0), 80.0, Align::Right);
        assert!(p.height > 2.0 * Font::new(10.0).leading());
        let mut f = Frame::new(100.0);
        f.stack(&p, 0.0);
        f.stack(&p, 5.0);
        assert!((f.height - (2.0 * p.height + 5.0)).abs() < 0.01);
        assert_eq!(f.items.len(), 2 * p.items.len());
    }
}
