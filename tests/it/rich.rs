//! Rich content: tables and highlighted code as members see them, and
//! image previews (re-encoded without metadata, bounded decoding, shown
//! with their size, removed with their message) on local files and S3.

use std::io::Cursor;

use reqwest::StatusCode;
use serde_json::Value;

use crate::process::ServerProcess;
use crate::storage::Storage;
use crate::support::{Browser, TestApp, stored_messages};

crate::on_each_storage! {
    gps_photo => a_photo_with_gps_data_is_shown_only_as_a_preview_without_it,
        a_photo_with_gps_data_is_shown_only_as_a_preview_without_it_on_s3;
    bomb => a_decompression_bomb_is_refused_with_a_sentence_and_nothing_is_kept,
        a_decompression_bomb_is_refused_with_a_sentence_and_nothing_is_kept_on_s3;
}

const TABLE_AND_CODE: &str = "| name | score |\n|:-----|------:|\n| <b>ann</b> | **3** |\n\n\
                              ```rust\nfn main() { let s = \"<hi>\"; } // done\n```\n\n\
                              ```klingon\nqapla' <b>\n```";

/// What both the page and the API must show for [`TABLE_AND_CODE`].
fn assert_rich(html: &str) {
    for expected in [
        "<table>",
        "<th align=\"left\">name</th>",
        "<th align=\"right\">score</th>",
        "<td align=\"left\">&lt;b&gt;ann&lt;/b&gt;</td>",
        "<td align=\"right\"><strong>3</strong></td>",
        "<pre><code><span class=\"cv-hl-k\">fn</span>",
        "<span class=\"cv-hl-s\">\"&lt;hi&gt;\"</span>",
        "<span class=\"cv-hl-c\">// done",
        // An unknown language is plain, escaped code.
        "<pre><code>qapla' &lt;b&gt;\n</code></pre>",
    ] {
        assert!(html.contains(expected), "{expected} missing in {html}");
    }
    assert!(!html.contains("style="), "{html}");
    assert!(!html.contains("<b>"), "{html}");
}

#[tokio::test]
async fn tables_and_highlighted_code_show_on_the_page_and_in_the_api() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    // Without JavaScript: the form, answered with 303, then the page.
    let r = alice.send("general", TABLE_AND_CODE).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, page) = alice.text("general/").await;
    assert_eq!(status, StatusCode::OK);
    assert_rich(&page);
    // The JSON API answers the same markup.
    let (status, body) = alice
        .api("general/api/send/", &[("content", TABLE_AND_CODE)])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let messages = body["messages"].as_array().expect("messages");
    assert_rich(
        messages.last().expect("sent")["content"]
            .as_str()
            .expect("content"),
    );
}

#[tokio::test]
async fn every_highlight_class_has_a_light_and_a_dark_colour() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let (_, page) = alice.text("general/").await;
    let start = page.find("/assets/conversate.").expect("stylesheet link");
    let href = &page[start..start + page[start..].find('"').expect("end")];
    let (status, css) = alice.text(href.trim_start_matches('/')).await;
    assert_eq!(status, StatusCode::OK);
    let dark = css
        .find("@media (prefers-color-scheme: dark)")
        .expect("a dark theme");
    let light_vars = &css[..dark];
    let dark_block = &css[dark..dark + css[dark..].find("\n}\n").expect("end of dark theme")];
    for class in conversate::domain::highlight::CLASSES {
        let rule = format!(".{class} {{");
        let at = css
            .find(&rule)
            .unwrap_or_else(|| panic!("no rule for {class}"));
        let body = &css[at..at + css[at..].find('}').expect("rule end")];
        let var = body
            .split("var(")
            .nth(1)
            .and_then(|v| v.split(')').next())
            .unwrap_or_else(|| panic!("{class} takes its colour from a theme variable"));
        assert!(
            light_vars.contains(&format!("{var}: #")),
            "{var} in the light theme"
        );
        assert!(
            dark_block.contains(&format!("{var}: #")),
            "{var} in the dark theme"
        );
    }
}

/// Marks that must not survive into a preview.
pub(crate) const GPS_MARKER: &[u8] = b"GPS-MARKER-conversate";

/// A `width` × `height` JPEG carrying EXIF: a description (the marker), an
/// orientation (6: shown turned a quarter clockwise) and a GPS position.
pub(crate) fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 4) as u8, 128])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&image)
        .expect("encode");
    // TIFF, big-endian: IFD0 at 8 (3 entries, to 50), the description at
    // 50, the GPS IFD at 72 (2 entries, to 102), its latitude at 102.
    let mut description = GPS_MARKER.to_vec();
    description.push(0);
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend_from_slice(&tag.to_be_bytes());
        tiff.extend_from_slice(&kind.to_be_bytes());
        tiff.extend_from_slice(&count.to_be_bytes());
        tiff.extend_from_slice(&value);
    };
    tiff.extend_from_slice(&3u16.to_be_bytes());
    entry(
        &mut tiff,
        0x010E,
        2,
        description.len() as u32,
        50u32.to_be_bytes(),
    );
    entry(&mut tiff, 0x0112, 3, 1, [0, 6, 0, 0]);
    entry(&mut tiff, 0x8825, 4, 1, 72u32.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(tiff.len(), 50);
    tiff.extend_from_slice(&description);
    assert_eq!(tiff.len(), 72);
    tiff.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut tiff, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, 5, 3, 102u32.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(tiff.len(), 102);
    for (n, d) in [(52u32, 1u32), (31, 1), (1234, 100)] {
        tiff.extend_from_slice(&n.to_be_bytes());
        tiff.extend_from_slice(&d.to_be_bytes());
    }
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Long-polls from `last` until message `pk` comes back changed and
/// `done` holds for it; its JSON. Each poll waits for news (no sleeping).
pub async fn wait_for_change(
    b: &Browser,
    slug: &str,
    mut last: i64,
    pk: i64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..12 {
        let last_text = last.to_string();
        let (status, body) = b
            .api(
                &format!("{slug}/api/poll/"),
                &[("last", &last_text), ("wait", "20"), ("hasFocus", "true")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        last = body["last"].as_i64().expect("last");
        let found = ["messages", "changes"]
            .iter()
            .filter_map(|k| body[*k].as_array())
            .flatten()
            .find(|m| m["pk"] == pk && done(m))
            .cloned();
        if let Some(m) = found {
            return m;
        }
    }
    panic!("message {pk} never changed as expected");
}

async fn gps_photo(storage: Storage) {
    let app = TestApp::start_with(|c| storage.apply(c)).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let photo = jpeg_with_gps(64, 32);
    assert!(contains(&photo, GPS_MARKER) && contains(&photo, b"Exif"));
    let (status, body) = alice.upload("holiday.jpg", photo.clone(), "look").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");
    // The send answers at once with the file as a download; the preview
    // comes after, as a change, on every transport. (On a busy machine the
    // preview can be ready before the answer is written, so the answer may
    // show it already.) The original is never shown inline.
    let sent = body["messages"][0]["content"].as_str().expect("content");
    assert!(
        !sent.contains(&format!("src=\"/general/file/{pk}/\"")),
        "{sent}"
    );
    let m = wait_for_change(&alice, "general", pk, pk, |m| {
        m["content"]
            .as_str()
            .is_some_and(|c| c.contains("cv-preview"))
    })
    .await;
    let content = m["content"].as_str().expect("content");
    // Turned upright (orientation 6), its shown size in the markup.
    assert!(
        content.contains(&format!(
            "<a href=\"/general/file/{pk}/\" target=\"_blank\" rel=\"noopener noreferrer\" download>\
             <img class=\"cv-preview\" src=\"/general/file/{pk}/preview/\" alt=\"holiday.jpg\" \
             width=\"32\" height=\"64\""
        )),
        "{content}"
    );
    // The page shows the same.
    let (_, page) = alice.text("general/").await;
    assert!(page.contains(&format!(
        "src=\"/general/file/{pk}/preview/\" alt=\"holiday.jpg\" width=\"32\" height=\"64\""
    )));

    // Inline: only the preview, re-encoded, with none of the metadata.
    let bob = app.login("bob").await;
    let r = bob.get(&format!("general/file/{pk}/preview/")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("inline;")
    );
    let preview = r.bytes().await.expect("bytes").to_vec();
    assert!(!contains(&preview, GPS_MARKER), "the EXIF text is gone");
    assert!(!contains(&preview, b"Exif"), "no EXIF segment at all");
    assert!(
        !preview.windows(2).any(|w| w == [0xFF, 0xE1]),
        "no APP1 segment"
    );
    let decoded = image::load_from_memory(&preview).expect("a real image");
    assert_eq!((decoded.width(), decoded.height()), (32, 64));

    // The original, metadata and all, is only ever a download.
    let r = bob.get(&format!("general/file/{pk}/")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment;")
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), photo);

    // Strangers get the same 404 for the preview as for anything else.
    let carol = app.login("carol").await;
    let r = carol.get(&format!("general/file/{pk}/preview/")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.browser()
            .get(&format!("general/file/{pk}/preview/"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // The original and its preview are stored, and leave with the message.
    assert_eq!(storage.stored(&app.config).await.len(), 2);
    assert!(storage.all_keys_are_ours(&app.config).await);
    let (status, body) = alice
        .api("general/api/delete/", &[("id", &pk.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(storage.stored(&app.config).await.is_empty());
    let r = bob.get(&format!("general/file/{pk}/preview/")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// A small PNG whose header declares `width` × `height` pixels.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let chunk = |out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    // A few rows of a compressed image; the rest is "missing".
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

async fn bomb(storage: Storage) {
    let app = TestApp::start_with(|c| storage.apply(c)).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let bomb = png_declaring(50_000, 50_000);
    assert!(bomb.len() < 100);
    let (status, body) = alice.upload("bomb.png", bomb.clone(), "boom").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(
        body["error"],
        "The image is 50000 × 50000 pixels, more than the 40 megapixels an image may have to be shown."
    );
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
    assert!(storage.stored(&app.config).await.is_empty());
    // Without JavaScript: the same sentence, and nothing kept.
    let form = reqwest::multipart::Form::new()
        .text("csrfmiddlewaretoken", alice.csrf.clone())
        .text("content", "boom")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bomb).file_name("bomb.png"),
        );
    let r = alice
        .client
        .post(alice.url("general/send/"))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = r.text().await.expect("page");
    assert!(page.contains("50000 × 50000 pixels"), "{page}");
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
    assert!(storage.stored(&app.config).await.is_empty());
}

/// The real binary, so its own memory can be read: decoding 50,000 ×
/// 50,000 pixels would take gigabytes; refusing it takes nothing.
#[tokio::test]
async fn a_decompression_bomb_leaves_the_servers_memory_where_it_was() {
    let server = ServerProcess::start(&[]);
    let mut alice = server.browser();
    assert_eq!(
        alice
            .login("alice", crate::support::PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    alice.refresh_csrf().await;
    // A real photo first, so the decoder's code and the preview task are
    // warm and only the bomb's cost is measured after.
    let (status, _) = alice.upload("warm.jpg", jpeg_with_gps(64, 32), "").await;
    assert_eq!(status, StatusCode::OK);
    let before = server.peak_rss_kib();
    for _ in 0..5 {
        let (status, body) = alice
            .upload("bomb.png", png_declaring(50_000, 50_000), "")
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    }
    let after = server.peak_rss_kib();
    assert!(
        after.saturating_sub(before) < 32 * 1024,
        "peak memory grew from {before} KiB to {after} KiB"
    );
}

#[test]
fn the_test_images_are_what_they_claim() {
    let photo = jpeg_with_gps(64, 32);
    let mut decoder = image::ImageReader::new(Cursor::new(&photo))
        .with_guessed_format()
        .expect("format")
        .into_decoder()
        .expect("decoder");
    use image::ImageDecoder as _;
    assert_eq!(decoder.dimensions(), (64, 32));
    assert_eq!(
        decoder.orientation().expect("orientation"),
        image::metadata::Orientation::Rotate90
    );
    let exif = decoder.exif_metadata().expect("exif").expect("some exif");
    assert!(contains(&exif, GPS_MARKER));
    let bomb = png_declaring(50_000, 50_000);
    let reader = image::ImageReader::new(Cursor::new(&bomb))
        .with_guessed_format()
        .expect("format");
    let mut reader = reader;
    reader.no_limits();
    assert_eq!(reader.into_dimensions().expect("header"), (50_000, 50_000));
}
