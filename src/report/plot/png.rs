//! PNG beside every SVG: the SVG we write, rendered by resvg with the embedded DejaVu Sans.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

/// The font database with only the embedded DejaVu Sans, answering for `sans-serif` (the family
/// the SVGs name), built once.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(super::DEJAVU_SANS.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        Arc::new(db)
    })
    .clone()
}

/// Renders SVG text to PNG bytes at the SVG's own size (1 px per SVG unit).
pub fn render(svg: &str) -> Result<Vec<u8>, String> {
    let options = usvg::Options {
        font_family: "DejaVu Sans".to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree =
        usvg::Tree::from_str(svg, &options).map_err(|e| format!("cannot render PNG: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| format!("cannot render PNG: empty size {size:?}"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| format!("cannot encode PNG: {e}"))
}
