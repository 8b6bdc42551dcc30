//! The page design of every document: the studio and the document's identity at the top, the
//! client, the lines (the header row repeats when they run to another page), the VAT summary and
//! totals, then — as the document asks — notes, the payment block with its QR code, the "bon
//! pour accord" box, the mentions; and the studio's legal identity with the page number at the
//! foot of every page.

use crate::canvas::{Align, Color, Font, Frame, Item, Setter};
use crate::layout::{LineView, View};

pub const PAGE_W: f32 = 595.276;
pub const PAGE_H: f32 = 841.89;
const MM: f32 = 72.0 / 25.4;
const MARGIN_X: f32 = 17.0 * MM;
const MARGIN_TOP: f32 = 15.0 * MM;
const MARGIN_BOTTOM: f32 = 24.0 * MM;
pub const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

/// The studio's colours.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Titles, rules, table headers.
    pub accent: Color,
    /// Labels.
    pub muted: Color,
}

impl Default for Style {
    fn default() -> Self {
        Style { accent: Color(0x1f, 0x4e, 0x79), muted: Color::gray(90) }
    }
}

/// What the page may show besides text: the logo (and its size in pixels) and the QR code.
pub struct Pictures {
    pub logo: Option<(krilla::image::Image, (u32, u32))>,
    pub qr: Option<krilla::image::Image>,
}

/// A document laid out on pages.
pub struct Pages {
    pub pages: Vec<Vec<Item>>,
}

struct Flow {
    pages: Vec<Vec<Item>>,
    y: f32,
}

const BOTTOM: f32 = PAGE_H - MARGIN_BOTTOM;

impl Flow {
    fn new() -> Flow {
        Flow { pages: vec![Vec::new()], y: MARGIN_TOP }
    }

    fn room(&self) -> f32 {
        BOTTOM - self.y
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
    }

    /// Places a frame at the left margin, on a new page if it does not fit here.
    fn put(&mut self, f: &Frame) {
        if f.height > self.room() && self.y > MARGIN_TOP {
            self.new_page();
        }
        self.put_here(f, MARGIN_X);
    }

    fn put_here(&mut self, f: &Frame, x: f32) {
        let page = self.pages.last_mut().expect("a page");
        let mut holder = Frame::new(f.width);
        holder.place(f, x, self.y);
        page.extend(holder.items);
        self.y += f.height;
    }

    fn gap(&mut self, h: f32) {
        self.y = (self.y + h).min(BOTTOM);
    }
}

/// Two columns side by side, their tops aligned; the frame is as tall as the taller.
fn side_by_side(left: &Frame, right: &Frame, right_x: f32) -> Frame {
    let mut f = Frame::new(CONTENT_W);
    f.place(left, 0.0, 0.0);
    f.place(right, right_x, 0.0);
    f
}

/// A frame drawn inside a box: `inset` around it, a stroke and rounded corners.
fn boxed(inner: &Frame, width: f32, inset: f32, stroke: Color, fill: Option<Color>, radius: f32) -> Frame {
    let mut f = Frame::new(width);
    let h = inner.height + 2.0 * inset;
    f.push(Item::Rect {
        x: 0.0,
        y: 0.0,
        w: width,
        h,
        radius,
        fill,
        stroke: Some((stroke, 0.5)).filter(|_| fill.is_none()),
    });
    f.place(inner, inset, inset);
    f.height = h;
    f
}

/// A two-column table of (label, value) rows: labels in `label_font`, values wrapped in what is
/// left of `width`.
fn pairs(
    s: &Setter,
    rows: &[(String, String)],
    label_font: Font,
    value_font: Font,
    width: f32,
    label_right: bool,
) -> Frame {
    let gap = 8.0;
    let label_w = s.max_width(rows.iter().map(|(l, _)| l.as_str()), label_font);
    let mut f = Frame::new(width);
    for (label, value) in rows {
        let mut row = Frame::new(width);
        let align = if label_right { Align::Right } else { Align::Left };
        row.place(&s.paragraph(label, label_font, label_w, align), 0.0, 0.0);
        row.place(&s.paragraph(value, value_font, (width - label_w - gap).max(20.0), Align::Left), label_w + gap, 0.0);
        f.stack(&row, 1.6);
    }
    f
}

/// The header: the studio on the left, the document's title, number and facts on the right.
fn header(s: &Setter, v: &View, style: &Style, pics: &Pictures) -> Frame {
    let body = Font::new(9.5);
    let title_font = Font::new(17.0).bold().color(style.accent);
    let number_font = Font::new(11.5);
    let fact_label = Font::new(8.8).color(style.muted);
    let fact_value = Font::new(8.8);
    let number = format!("N° {}", v.number);
    let facts_label_w = s.max_width(v.facts.iter().map(|(l, _)| l.as_str()), fact_label);
    let facts_value_w = s.max_width(v.facts.iter().map(|(_, v)| v.as_str()), fact_value);
    let right_w = s
        .width(&v.title, title_font)
        .max(s.width(&number, number_font))
        .max(facts_label_w + 8.0 + facts_value_w)
        .min(CONTENT_W * 0.55);
    let mut right = Frame::new(right_w);
    right.stack(&s.paragraph(&v.title, title_font, right_w, Align::Right), 0.0);
    right.stack(&s.paragraph(&number, number_font, right_w, Align::Right), 0.0);
    right.gap(3.0);
    let facts = pairs(s, &v.facts, fact_label, fact_value, facts_label_w + 8.0 + facts_value_w, true);
    right.place(&facts, right_w - facts.width, right.height);

    let left_w = CONTENT_W - right_w - 14.0;
    let mut left = Frame::new(left_w);
    match &pics.logo {
        Some((image, (w, h))) => {
            let height = 15.0 * MM;
            let width = (height * *w as f32 / (*h).max(1) as f32).min(left_w);
            left.push(Item::Image { x: 0.0, y: 0.0, w: width, h: height, image: image.clone() });
            left.height = height;
        }
        None => left.stack(
            &s.paragraph(&v.seller.trade_name, Font::new(18.0).bold().color(style.accent), left_w, Align::Left),
            0.0,
        ),
    }
    left.gap(2.0);
    left.stack(&s.paragraph(&v.seller.legal_name, body.bold(), left_w, Align::Left), 0.0);
    left.stack(&s.lines(&v.seller.address, body, left_w), 0.0);
    if !v.seller.contact.is_empty() {
        left.stack(&s.paragraph(&v.seller.contact, body, left_w, Align::Left), 0.0);
    }
    side_by_side(&left, &right, CONTENT_W - right_w)
}

/// The subject on the left, the client's box on the right.
fn parties(s: &Setter, v: &View, style: &Style) -> Frame {
    let body = Font::new(9.5);
    let col = (CONTENT_W - 14.0) / 2.0;
    let mut left = Frame::new(col);
    if let Some((label, subject)) = &v.subject {
        left.stack(&s.paragraph(label, body.color(style.muted), col, Align::Left), 0.0);
        left.stack(&s.paragraph(subject, body.bold(), col, Align::Left), 0.0);
    }
    if let Some((label, place)) = &v.place {
        left.stack(&s.paragraph(label, body.color(style.muted), col, Align::Left), 6.0);
        left.stack(&s.paragraph(place, body, col, Align::Left), 0.0);
    }
    let inner_w = col - 16.0;
    let mut b = Frame::new(inner_w);
    b.stack(&s.paragraph(&v.buyer.label.to_uppercase(), Font::new(7.5).color(style.muted), inner_w, Align::Left), 0.0);
    b.stack(&s.paragraph(&v.buyer.name, body.bold(), inner_w, Align::Left), 0.0);
    if let Some(contact) = &v.buyer.contact {
        b.stack(&s.paragraph(contact, body, inner_w, Align::Left), 0.0);
    }
    b.stack(&s.lines(&v.buyer.address, body, inner_w), 0.0);
    b.stack(&s.lines(&v.buyer.ids, Font::new(8.5), inner_w), 0.0);
    let right = boxed(&b, col, 8.0, Color::gray(160), None, 3.0);
    side_by_side(&left, &right, col + 14.0)
}

/// Column widths of the lines table: every column but the description as wide as its widest
/// cell (a long header wraps at its words), the description takes the rest.
fn line_columns(s: &Setter, v: &View, head: Font, cell: Font, inset: f32) -> [f32; 7] {
    let mut w = [0.0f32; 7];
    for (i, h) in v.headers.iter().enumerate().skip(1) {
        w[i] = s.max_width(h.split(' '), head);
    }
    for l in &v.lines {
        for (i, c) in l.cells.iter().enumerate() {
            w[i + 1] = w[i + 1].max(s.width(c, cell));
        }
    }
    for x in w.iter_mut().skip(1) {
        *x += 2.0 * inset;
    }
    // A long unit name may not squeeze the description below a third of the page.
    let others: f32 = w[1..].iter().sum();
    let min_description = CONTENT_W / 3.0;
    if CONTENT_W - others < min_description {
        let scale = (CONTENT_W - min_description) / others;
        w.iter_mut().skip(1).for_each(|x| *x *= scale);
    }
    w[0] = CONTENT_W - w[1..].iter().sum::<f32>();
    w
}

fn line_row(
    s: &Setter,
    l: &LineView,
    widths: &[f32; 7],
    cell: Font,
    style: &Style,
    inset_x: f32,
    inset_y: f32,
) -> Frame {
    let mut row = Frame::new(CONTENT_W);
    let mut description = s.paragraph(&l.description, cell, widths[0] - 2.0 * inset_x, Align::Left);
    if let Some(code) = &l.code {
        let code = s.paragraph(
            &format!("({code})"),
            Font::new(7.5).color(style.muted),
            widths[0] - 2.0 * inset_x,
            Align::Left,
        );
        description.stack(&code, 0.0);
    }
    row.place(&description, inset_x, inset_y);
    let mut x = widths[0];
    for (i, text) in l.cells.iter().enumerate() {
        let w = widths[i + 1];
        // The unit reads left-aligned, numbers right-aligned.
        let align = if i == 1 { Align::Left } else { Align::Right };
        row.place(&s.paragraph(text, cell, w - 2.0 * inset_x, align), x + inset_x, inset_y);
        x += w;
    }
    row.height += inset_y;
    row.push(Item::Line { from: (0.0, row.height), to: (CONTENT_W, row.height), width: 0.3, color: Color::gray(205) });
    row
}

fn lines_table(flow: &mut Flow, s: &Setter, v: &View, style: &Style) {
    let (inset_x, inset_y) = (4.0, 4.5);
    let head = Font::new(8.0).bold().color(style.accent);
    let cell = Font::new(9.5);
    let widths = line_columns(s, v, head, cell, inset_x);
    let mut header = Frame::new(CONTENT_W);
    let mut x = 0.0;
    for (i, h) in v.headers.iter().enumerate() {
        let align = if i == 0 || i == 2 { Align::Left } else { Align::Right };
        header.place(&s.paragraph(h, head, widths[i] - 2.0 * inset_x, align), x + inset_x, inset_y);
        x += widths[i];
    }
    header.height += inset_y;
    header.push(Item::Line {
        from: (0.0, header.height),
        to: (CONTENT_W, header.height),
        width: 0.8,
        color: style.accent,
    });
    let first_row = v.lines.first().map(|l| line_row(s, l, &widths, cell, style, inset_x, inset_y));
    // The header never stays alone at the foot of a page.
    if header.height + first_row.as_ref().map_or(0.0, |r| r.height) > flow.room() {
        flow.new_page();
    }
    flow.put_here(&header, MARGIN_X);
    for (i, l) in v.lines.iter().enumerate() {
        let row = match (i, &first_row) {
            (0, Some(r)) => r.clone(),
            _ => line_row(s, l, &widths, cell, style, inset_x, inset_y),
        };
        if row.height > flow.room() {
            flow.new_page();
            flow.put_here(&header, MARGIN_X);
        }
        flow.put_here(&row, MARGIN_X);
    }
}

/// The VAT summary on the left, the totals on the right.
fn totals(s: &Setter, v: &View, style: &Style) -> Frame {
    let small = Font::new(8.0);
    let body = Font::new(9.5);
    // Totals: label | value, the last row under a rule.
    let label_w = s.max_width(v.totals.iter().map(|t| t.label.as_str()), body.bold());
    let value_w = s.max_width(v.totals.iter().map(|t| t.value.as_str()), body.bold());
    let (ix, iy) = (5.0, 3.0);
    let right_w = label_w + value_w + 4.0 * ix;
    let mut right = Frame::new(right_w);
    let last = v.totals.len().saturating_sub(1);
    for (i, t) in v.totals.iter().enumerate() {
        let font = if t.strong { body.bold() } else { body };
        let mut row = Frame::new(right_w);
        if i == last {
            row.push(Item::Line { from: (0.0, 0.0), to: (right_w, 0.0), width: 0.8, color: style.accent });
        }
        row.place(&s.paragraph(&t.label, font, label_w, Align::Left), ix, iy);
        row.place(&s.paragraph(&t.value, font, value_w, Align::Right), right_w - ix - value_w, iy);
        row.height += iy;
        right.stack(&row, 0.0);
    }
    // VAT summary: rate | base | VAT | total incl. VAT.
    let left_w = CONTENT_W - right_w - 16.0;
    let mut left = Frame::new(left_w);
    left.stack(&s.paragraph(&v.vat_summary.title, small.bold().color(style.accent), left_w, Align::Left), 0.0);
    left.gap(2.0);
    let mut widths = [0.0f32; 4];
    for (i, h) in v.vat_summary.headers.iter().enumerate() {
        widths[i] = s.width(h, small.bold());
        for r in &v.vat_summary.rows {
            widths[i] = widths[i].max(s.width(&r[i], small));
        }
        widths[i] += 8.0;
    }
    let row = |cells: &[String; 4], font: Font, rule: bool| {
        let mut f = Frame::new(left_w);
        let mut x = 0.0;
        for (i, c) in cells.iter().enumerate() {
            let align = if i == 0 { Align::Left } else { Align::Right };
            f.place(&s.paragraph(c, font, widths[i] - 8.0, align), x + 4.0, 2.5);
            x += widths[i];
        }
        f.height += 2.5;
        if rule {
            f.push(Item::Line { from: (0.0, f.height), to: (x, f.height), width: 0.5, color: Color::BLACK });
        }
        f
    };
    left.stack(&row(&v.vat_summary.headers, small.bold(), true), 0.0);
    for r in &v.vat_summary.rows {
        left.stack(&row(r, small, false), 0.0);
    }
    side_by_side(&left, &right, CONTENT_W - right_w)
}

fn payment(s: &Setter, v: &View, style: &Style, qr: Option<&krilla::image::Image>) -> Option<Frame> {
    let p = v.payment.as_ref()?;
    let body = Font::new(9.5);
    let inner_w = CONTENT_W - 18.0;
    let qr_w = 34.0 * MM;
    let caption_w = 40.0 * MM;
    let left_w = if qr.is_some() { inner_w - caption_w - 12.0 } else { inner_w };
    let mut left = Frame::new(left_w);
    left.stack(&s.paragraph(&p.transfer, body.bold(), left_w, Align::Left), 0.0);
    left.gap(1.0);
    left.stack(&pairs(s, &p.rows, body.color(style.muted), body, left_w, false), 0.0);
    left.gap(3.0);
    left.stack(&s.paragraph(&p.cheque, body.bold(), left_w, Align::Left), 0.0);
    left.stack(&s.paragraph(&p.cheque_text, body, left_w, Align::Left), 0.0);
    left.stack(&s.paragraph(&p.cheque_address.join(", "), body, left_w, Align::Left), 0.0);
    let mut inner = Frame::new(inner_w);
    inner.stack(&s.paragraph(&p.title, Font::new(10.5).bold().color(style.accent), inner_w, Align::Left), 0.0);
    inner.gap(2.0);
    let mut columns = Frame::new(inner_w);
    columns.place(&left, 0.0, 0.0);
    if let Some(image) = qr {
        let mut right = Frame::new(caption_w);
        right.push(Item::Image { x: (caption_w - qr_w) / 2.0, y: 0.0, w: qr_w, h: qr_w, image: image.clone() });
        right.height = qr_w + 2.0;
        right.stack(&s.paragraph(&p.qr_caption, Font::new(7.0).color(style.muted), caption_w, Align::Center), 0.0);
        columns.place(&right, inner_w - caption_w, 0.0);
    }
    inner.stack(&columns, 0.0);
    Some(boxed(&inner, CONTENT_W, 9.0, style.accent, None, 3.0))
}

fn approval(s: &Setter, v: &View, style: &Style) -> Option<Frame> {
    let a = v.approval.as_ref()?;
    let inner_w = CONTENT_W - 18.0;
    let mut inner = Frame::new(inner_w);
    inner.stack(&s.paragraph(&a.title, Font::new(10.5).bold().color(style.accent), inner_w, Align::Left), 0.0);
    match &a.blank {
        Some(blank) => {
            inner.stack(&s.paragraph(blank, Font::new(8.5), inner_w, Align::Left), 0.0);
            inner.gap(22.0 * MM);
        }
        // Small enough for the 64 hex digits of the accepted content's SHA-256 on one line.
        None => inner.stack(&pairs(s, &a.rows, Font::new(8.5).color(style.muted), Font::new(8.0), inner_w, false), 1.0),
    }
    Some(boxed(&inner, CONTENT_W, 9.0, Color::gray(140), None, 3.0))
}

/// The footer of page `index` (from 0) of `count`.
fn footer(s: &Setter, v: &View, index: usize, count: usize) -> Frame {
    let font = Font::new(7.0).color(Color::gray(90));
    let label = format!("{} · {} {} / {count}", v.number, v.page, index + 1);
    let label_w = s.width(&label, font);
    let mut f = Frame::new(CONTENT_W);
    f.push(Item::Line { from: (0.0, 0.0), to: (CONTENT_W, 0.0), width: 0.4, color: Color::gray(190) });
    let text = s.paragraph(&v.seller.footer, font, CONTENT_W - label_w - 10.0, Align::Left);
    // The page label sits on the footer's last line, after its text.
    let last_line = (text.height - font.leading()).max(0.0);
    f.place(&text, 0.0, 4.0);
    f.place(&s.paragraph(&label, font, label_w, Align::Left), CONTENT_W - label_w, 4.0 + last_line);
    f
}

/// Lays a document out on A4 pages.
pub fn compose(s: &Setter, v: &View, style: &Style, pics: &Pictures) -> Pages {
    let mut flow = Flow::new();
    flow.put(&header(s, v, style, pics));
    if let Some(demo) = &v.demo {
        flow.gap(6.0);
        let inner = s.paragraph(demo, Font::new(8.0), CONTENT_W - 10.0, Align::Left);
        flow.put(&boxed(&inner, CONTENT_W, 5.0, Color(0xff, 0xf4, 0xd6), Some(Color(0xff, 0xf4, 0xd6)), 2.0));
    }
    flow.gap(8.0);
    flow.put(&parties(s, v, style));
    flow.gap(10.0);
    lines_table(&mut flow, s, v, style);
    flow.gap(6.0);
    flow.put(&totals(s, v, style));
    if let Some((label, text)) = &v.notes {
        flow.gap(8.0);
        let mut f = Frame::new(CONTENT_W);
        f.stack(&s.paragraph(label, Font::new(9.5).bold(), CONTENT_W, Align::Left), 0.0);
        f.stack(&s.paragraph(text, Font::new(9.5), CONTENT_W, Align::Left), 0.0);
        flow.put(&f);
    }
    if let Some(f) = payment(s, v, style, pics.qr.as_ref()) {
        flow.gap(10.0);
        flow.put(&f);
    }
    if let Some(f) = approval(s, v, style) {
        flow.gap(10.0);
        flow.put(&f);
    }
    flow.gap(10.0);
    for m in &v.mentions {
        flow.put(&s.paragraph(m, Font::new(8.0), CONTENT_W, Align::Left));
    }
    let count = flow.pages.len();
    let mut pages = flow.pages;
    for (i, page) in pages.iter_mut().enumerate() {
        let f = footer(s, v, i, count);
        let mut holder = Frame::new(CONTENT_W);
        holder.place(&f, MARGIN_X, PAGE_H - MARGIN_BOTTOM + 8.0);
        page.extend(holder.items);
    }
    Pages { pages }
}
