//! Image previews: an uploaded or fetched image decoded under limits and
//! re-encoded small, with nothing of the original's metadata (EXIF with its
//! GPS position, XMP, ICC, comments) carried over.
//!
//! Pure and synchronous (CPU-bound: callers run it on a blocking thread),
//! so any caller can use it: message attachments, link previews' images,
//! avatars. Decoding is bounded before it starts: the header's dimensions
//! are checked against [`PreviewLimits::max_pixels`], and the decoder's own
//! [`image::Limits`] cap its memory, so a small file declaring a huge image
//! (a decompression bomb) is refused without allocating for it.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, metadata::Orientation};

use crate::domain::previews::fit;

/// The box previews are made to fit (the page shows them smaller; this
/// leaves room for high-density screens).
pub const PREVIEW_BOX: (u32, u32) = (1200, 800);

/// JPEG quality of previews without transparency.
const JPEG_QUALITY: u8 = 82;

/// What decoding may take.
#[derive(Debug, Clone, Copy)]
pub struct PreviewLimits {
    /// Most pixels (width × height) an image may have (`IMAGE_MAX_PIXELS`).
    pub max_pixels: u64,
}

impl PreviewLimits {
    /// The decoder's limits: no side longer than the pixel budget allows,
    /// and memory for the decoded pixels (at most 8 bytes each: 16-bit
    /// RGBA) plus a margin for the decoder's own buffers.
    fn decoder(self) -> image::Limits {
        let side = u32::try_from(self.max_pixels).unwrap_or(u32::MAX);
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(side);
        limits.max_image_height = Some(side);
        limits.max_alloc = Some(self.max_pixels.saturating_mul(8).saturating_add(64 << 20));
        limits
    }
}

/// Why no preview can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    /// The image declares more pixels than the limit.
    #[error(
        "The image is {width} × {height} pixels, more than the {limit} megapixels an image may have to be shown."
    )]
    TooManyPixels {
        width: u64,
        height: u64,
        /// The limit, in megapixels.
        limit: u64,
    },
    /// Not an image we read, or a damaged one.
    #[error("The image cannot be read: {0}")]
    Unreadable(String),
}

/// A preview, ready to store.
#[derive(Debug, Clone)]
pub struct Preview {
    /// JPEG, or PNG when the image has transparency.
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// The image's shown size (after its EXIF orientation), read from its
/// header only: `head` may be just the start of the file. Refuses an image
/// over the pixel limit.
///
/// # Errors
/// [`PreviewError::TooManyPixels`], or `Unreadable` when the header cannot
/// be read (also when `head` stops before the header ends).
pub fn inspect(head: &[u8], limits: PreviewLimits) -> Result<(u32, u32), PreviewError> {
    let (decoder, width, height, orientation) = open(head, limits)?;
    drop(decoder);
    Ok(oriented(width, height, orientation))
}

/// Decodes `bytes` (a PNG, JPEG, GIF or WebP: the first frame of an
/// animation) and re-encodes it to fit [`PREVIEW_BOX`], upright, without
/// metadata.
///
/// # Errors
/// [`PreviewError::TooManyPixels`] before anything is decoded, or
/// `Unreadable`.
pub fn make(bytes: &[u8], limits: PreviewLimits) -> Result<Preview, PreviewError> {
    let (decoder, width, height, orientation) = open(bytes, limits)?;
    let image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    // The preview's size upright; scaled before turning, which is cheaper.
    let (shown_w, shown_h) = oriented(width, height, orientation);
    let (fit_w, fit_h) = fit(shown_w, shown_h, PREVIEW_BOX.0, PREVIEW_BOX.1);
    let (w, h) = if (shown_w, shown_h) == (width, height) {
        (fit_w, fit_h)
    } else {
        (fit_h, fit_w)
    };
    let mut small = if (w, h) == (width, height) {
        image
    } else {
        image.thumbnail_exact(w, h)
    };
    small.apply_orientation(orientation);
    encode(&small)
}

/// Decodes `bytes` and re-encodes it as an avatar: the middle square,
/// upright, scaled to `side` pixels (never up), without metadata. PNG when
/// the picture has transparency, else JPEG.
///
/// # Errors
/// As [`make`].
pub fn square(bytes: &[u8], limits: PreviewLimits, side: u32) -> Result<Preview, PreviewError> {
    let (decoder, _, _, orientation) = open(bytes, limits)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    let edge = image.width().min(image.height());
    if edge == 0 {
        return Err(PreviewError::Unreadable("the image is empty".to_owned()));
    }
    let cropped = image.crop_imm(
        (image.width() - edge) / 2,
        (image.height() - edge) / 2,
        edge,
        edge,
    );
    let side = side.min(edge);
    let small = if side == edge {
        cropped
    } else {
        cropped.thumbnail_exact(side, side)
    };
    encode(&small)
}

/// The image as PNG when it has transparency, else as JPEG: a fresh file
/// that carries none of the original's metadata.
fn encode(small: &DynamicImage) -> Result<Preview, PreviewError> {
    let mut out = Cursor::new(Vec::new());
    let content_type = if small.color().has_alpha() {
        small
            .to_rgba8()
            .write_to(&mut out, image::ImageFormat::Png)
            .map_err(unreadable)?;
        "image/png"
    } else {
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
        small
            .to_rgb8()
            .write_with_encoder(encoder)
            .map_err(unreadable)?;
        "image/jpeg"
    };
    Ok(Preview {
        bytes: out.into_inner(),
        content_type,
        width: small.width(),
        height: small.height(),
    })
}

/// A decoder for `bytes` with its limits set and its header read: the
/// image's stored size and orientation.
fn open(
    bytes: &[u8],
    limits: PreviewLimits,
) -> Result<(impl ImageDecoder + '_, u32, u32, Orientation), PreviewError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PreviewError::Unreadable(e.to_string()))?;
    if !matches!(
        reader.format(),
        Some(
            image::ImageFormat::Png
                | image::ImageFormat::Jpeg
                | image::ImageFormat::Gif
                | image::ImageFormat::WebP
        )
    ) {
        return Err(PreviewError::Unreadable(
            "not a PNG, JPEG, GIF or WebP image".to_owned(),
        ));
    }
    // The header first, without limits on sides, so an oversized image is
    // told as such (with its size) rather than as a decoder limit error;
    // nothing is allocated for its pixels yet.
    reader.no_limits();
    let probe = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = probe.dimensions();
    drop(probe);
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(PreviewError::TooManyPixels {
            width: u64::from(width),
            height: u64::from(height),
            limit: limits.max_pixels.div_ceil(1_000_000),
        });
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PreviewError::Unreadable(e.to_string()))?;
    reader.limits(limits.decoder());
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    // Unreadable orientation metadata is no reason to refuse the picture.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    Ok((decoder, width, height, orientation))
}

/// The size shown once `orientation` is applied.
fn oriented(width: u32, height: u32, orientation: Orientation) -> (u32, u32) {
    match orientation {
        Orientation::Rotate90
        | Orientation::Rotate270
        | Orientation::Rotate90FlipH
        | Orientation::Rotate270FlipH => (height, width),
        _ => (width, height),
    }
}

fn unreadable(e: image::ImageError) -> PreviewError {
    match e {
        image::ImageError::Limits(l) => {
            PreviewError::Unreadable(format!("it needs more memory than allowed ({l})"))
        }
        other => PreviewError::Unreadable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PreviewLimits = PreviewLimits {
        max_pixels: 40_000_000,
    };

    fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let image = if alpha {
            DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
                width,
                height,
                image::Rgba([10, 20, 30, 128]),
            ))
        } else {
            DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
                width,
                height,
                image::Rgb([200, 20, 30]),
            ))
        };
        image
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("encode");
        out.into_inner()
    }

    #[test]
    fn large_images_shrink_into_the_box_and_small_ones_keep_their_size() {
        let big = make(&png(3000, 1500, false), LIMITS).expect("preview");
        assert_eq!((big.width, big.height), (1200, 600));
        assert_eq!(big.content_type, "image/jpeg");
        assert!(big.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
        let small = make(&png(40, 30, true), LIMITS).expect("preview");
        assert_eq!((small.width, small.height), (40, 30));
        assert_eq!(small.content_type, "image/png");
        assert_eq!(inspect(&png(3000, 1500, false), LIMITS), Ok((3000, 1500)));
    }

    #[test]
    fn too_many_pixels_are_refused_before_decoding() {
        let limits = PreviewLimits { max_pixels: 1_000 };
        let err = make(&png(40, 30, false), limits).expect_err("over the limit");
        assert_eq!(
            err,
            PreviewError::TooManyPixels {
                width: 40,
                height: 30,
                limit: 1
            }
        );
        assert!(err.to_string().starts_with("The image is 40 × 30 pixels"));
    }

    #[test]
    fn other_bytes_are_unreadable() {
        assert!(matches!(
            make(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", LIMITS),
            Err(PreviewError::Unreadable(_))
        ));
        let mut cut = png(100, 100, false);
        cut.truncate(cut.len() / 2);
        assert!(matches!(
            make(&cut, LIMITS),
            Err(PreviewError::Unreadable(_))
        ));
    }

    #[test]
    fn avatars_are_the_middle_square_scaled_down_never_up() {
        // A wide picture: left half red, right half blue; the middle square
        // shows both halves.
        let mut wide = image::RgbImage::from_pixel(600, 300, image::Rgb([220, 0, 0]));
        for x in 300..600 {
            for y in 0..300 {
                wide.put_pixel(x, y, image::Rgb([0, 0, 220]));
            }
        }
        let mut bytes = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(wide)
            .write_to(&mut bytes, image::ImageFormat::Png)
            .expect("encode");
        let avatar = square(bytes.get_ref(), LIMITS, 128).expect("avatar");
        assert_eq!((avatar.width, avatar.height), (128, 128));
        assert_eq!(avatar.content_type, "image/jpeg");
        let decoded = image::load_from_memory(&avatar.bytes)
            .expect("decodes")
            .to_rgb8();
        let left = decoded.get_pixel(10, 64);
        let right = decoded.get_pixel(117, 64);
        assert!(left[0] > 150 && left[2] < 80, "left is red: {left:?}");
        assert!(right[2] > 150 && right[0] < 80, "right is blue: {right:?}");
        let tiny = square(&png(40, 30, true), LIMITS, 128).expect("avatar");
        assert_eq!((tiny.width, tiny.height), (30, 30), "not enlarged");
        assert_eq!(tiny.content_type, "image/png", "transparency kept");
        assert!(matches!(
            square(b"GIF89a", LIMITS, 128),
            Err(PreviewError::Unreadable(_))
        ));
    }
}
