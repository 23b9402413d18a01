//! Export: an open archive of rooms (`conversate export`, and the members'
//! download on the account page). A POSIX tar (`tar.rs`) holding, under
//! `conversate-export/`:
//! - `rooms.jsonl`, and per room `<slug>/members.jsonl` and
//!   `<slug>/messages-0001.jsonl`, … (JSON Lines, [`PER_FILE`] messages a
//!   file, oldest first);
//! - `<slug>/files/<id>-<name>`: the messages' files;
//! - a static HTML copy that opens offline with no script: `index.html`,
//!   `<slug>/index.html` and `<slug>/page-0001.html`, … (`html.rs`).
//!
//! Messages are read a page at a time by keyset, so an export of any size
//! holds one page in memory, and the archive streams to its writer.

mod html;
pub mod tar;

use serde::Serialize;
use tokio::io::AsyncWrite;

use self::tar::TarWriter;
use super::ServiceError;
use super::progress::Progress;
use crate::domain::{Member, Message, Room, User};
use crate::files::Files;
use crate::store::Store;

/// The folder every entry is under.
pub const ROOT: &str = "conversate-export";
/// Messages per JSON Lines file and per HTML page.
pub const PER_FILE: u32 = 1_000;

/// What an export holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub rooms: u64,
    pub messages: u64,
    pub files: u64,
    /// Files named by messages but gone from the storage.
    pub files_missing: u64,
}

#[derive(Serialize)]
struct RoomLine<'a> {
    slug: &'a str,
    title: &'a str,
}

#[derive(Serialize)]
struct MemberLine<'a> {
    username: &'a str,
    colour: &'a str,
    alert: bool,
    mail_alert: bool,
}

#[derive(Serialize)]
struct FileLine<'a> {
    name: &'a str,
    size: i64,
    content_type: &'a str,
    /// Where the file is in the archive, from the room's folder.
    path: String,
}

#[derive(Serialize)]
struct MessageLine<'a> {
    id: i64,
    user: &'a str,
    /// Unix seconds.
    time: i64,
    content: &'a str,
    html: &'a str,
    mentions: &'a [String],
    file: Option<FileLine<'a>>,
    reply_to: Option<i64>,
    edited: Option<i64>,
    deleted: Option<i64>,
    reactions: &'a [crate::domain::Reaction],
}

/// The archive path of a message's file, from its room's folder: the id
/// keeps names unique, and only plain characters of the name are kept.
fn file_path(m: &Message, name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    let clean = clean.trim_start_matches('.');
    format!(
        "files/{}-{}",
        m.id,
        if clean.is_empty() { "file" } else { clean }
    )
}

fn json_line<T: Serialize>(out: &mut Vec<u8>, value: &T) -> Result<(), ServiceError> {
    serde_json::to_writer(&mut *out, value)
        .map_err(|e| ServiceError::Invalid(format!("Cannot write the export: {e}.")))?;
    out.push(b'\n');
    Ok(())
}

fn io_failed(e: &std::io::Error) -> ServiceError {
    ServiceError::Invalid(format!("Cannot write the export: {e}."))
}

/// The rooms `user` may export: their own (an administrator's too: being
/// an administrator does not make one a reader of every room's history).
///
/// # Errors
/// When storage fails.
pub async fn rooms_of(store: &Store, user: &User) -> Result<Vec<Room>, ServiceError> {
    super::accounts::rooms_of(store, user).await
}

/// One room of `user`'s, for their download; `NoSuchRoom`, exactly as for
/// a missing room, when they are not a member.
///
/// # Errors
/// `NoSuchRoom`; storage errors.
pub async fn room_of(store: &Store, user: &User, slug: &str) -> Result<Room, ServiceError> {
    rooms_of(store, user)
        .await?
        .into_iter()
        .find(|r| r.slug == slug)
        .ok_or(ServiceError::NoSuchRoom)
}

/// Writes the archive of `rooms` to `out`; answers the writer and what
/// the archive holds.
///
/// # Errors
/// When storage or writing fails (the archive is then incomplete).
pub async fn write<W: AsyncWrite + Unpin>(
    store: &Store,
    files: &Files,
    rooms: &[Room],
    out: W,
    progress: &dyn Progress,
) -> Result<(W, Summary), ServiceError> {
    let now = crate::domain::now();
    let mut tar = TarWriter::new(out, now);
    let mut summary = Summary::default();
    let mut lines = Vec::new();
    for r in rooms {
        json_line(
            &mut lines,
            &RoomLine {
                slug: &r.slug,
                title: &r.title,
            },
        )?;
    }
    tar.file(&format!("{ROOT}/rooms.jsonl"), &lines)
        .await
        .map_err(|e| io_failed(&e))?;
    tar.file(&format!("{ROOT}/README.txt"), html::README.as_bytes())
        .await
        .map_err(|e| io_failed(&e))?;
    tar.file(&format!("{ROOT}/style.css"), html::STYLE.as_bytes())
        .await
        .map_err(|e| io_failed(&e))?;
    let index = html::index(rooms, now)?;
    tar.file(&format!("{ROOT}/index.html"), index.as_bytes())
        .await
        .map_err(|e| io_failed(&e))?;
    for room in rooms {
        room_entries(store, files, room, &mut tar, &mut summary, progress).await?;
        summary.rooms += 1;
    }
    let out = tar.finish().await.map_err(|e| io_failed(&e))?;
    Ok((out, summary))
}

async fn room_entries<W: AsyncWrite + Unpin>(
    store: &Store,
    files: &Files,
    room: &Room,
    tar: &mut TarWriter<W>,
    summary: &mut Summary,
    progress: &dyn Progress,
) -> Result<(), ServiceError> {
    let dir = format!("{ROOT}/{}", room.slug);
    let members: Vec<Member> = store.rooms().members(room.id).await?.to_vec();
    let mut lines = Vec::new();
    for m in &members {
        json_line(
            &mut lines,
            &MemberLine {
                username: &m.username,
                colour: &m.colour,
                alert: m.alert,
                mail_alert: m.mail_alert,
            },
        )?;
    }
    tar.file(&format!("{dir}/members.jsonl"), &lines)
        .await
        .map_err(|e| io_failed(&e))?;
    progress.stage(&room.slug, 0);
    let mut pages = Vec::new();
    let mut page = store
        .messages()
        .messages_after(room.id, 0, PER_FILE)
        .await?;
    while let Some(last) = page.last() {
        // One page ahead, so a page knows whether another follows it.
        let next = store
            .messages()
            .messages_after(room.id, last.id, PER_FILE)
            .await?;
        let number = pages.len() + 1;
        let mut lines = Vec::new();
        for m in &page {
            message_entries(files, &dir, m, &mut lines, tar, summary, progress).await?;
        }
        tar.file(&format!("{dir}/messages-{number:04}.jsonl"), &lines)
            .await
            .map_err(|e| io_failed(&e))?;
        pages.push((page[0].time, last.time));
        let page_html = html::page(room, &members, &page, number, !next.is_empty())?;
        tar.file(
            &format!("{dir}/{}", html::page_file(number)),
            page_html.as_bytes(),
        )
        .await
        .map_err(|e| io_failed(&e))?;
        summary.messages += page.len() as u64;
        progress.advance(page.len() as u64);
        page = next;
    }
    progress.finish();
    let room_index = html::room_index(room, &pages)?;
    tar.file(&format!("{dir}/index.html"), room_index.as_bytes())
        .await
        .map_err(|e| io_failed(&e))?;
    let colours = html::colours(&members);
    tar.file(&format!("{dir}/colours.css"), colours.as_bytes())
        .await
        .map_err(|e| io_failed(&e))
}

/// A message's JSON line, and its file into the archive.
async fn message_entries<W: AsyncWrite + Unpin>(
    files: &Files,
    dir: &str,
    m: &Message,
    lines: &mut Vec<u8>,
    tar: &mut TarWriter<W>,
    summary: &mut Summary,
    progress: &dyn Progress,
) -> Result<(), ServiceError> {
    let file = m.file.as_ref().map(|f| FileLine {
        name: &f.name,
        size: f.size,
        content_type: &f.content_type,
        path: file_path(m, &f.name),
    });
    json_line(
        lines,
        &MessageLine {
            id: m.id,
            user: &m.username,
            time: m.time,
            content: &m.content,
            html: &m.html,
            mentions: &m.mentions,
            file,
            reply_to: m.reply.as_ref().map(|q| q.id),
            edited: m.edited,
            deleted: m.deleted,
            reactions: &m.reactions,
        },
    )?;
    let Some(f) = &m.file else { return Ok(()) };
    let path = format!("{dir}/{}", file_path(m, &f.name));
    let size = u64::try_from(f.size).unwrap_or(0);
    match files.read(&f.key, None).await.map_err(|e| io_failed(&e))? {
        Some(download) if download.size == size => {
            tar.stream(&path, size, download.body)
                .await
                .map_err(|e| io_failed(&e))?;
            summary.files += 1;
        }
        _ => {
            progress.note(&format!("The file of message {} is missing.", m.id));
            summary.files_missing += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_file_names_are_plain_and_unique_by_id() {
        let m = Message {
            id: 7,
            ..Message::default()
        };
        assert_eq!(file_path(&m, "report.pdf"), "files/7-report.pdf");
        assert_eq!(file_path(&m, "../../etc/passwd"), "files/7-_.._etc_passwd");
        assert_eq!(file_path(&m, "été 2026.png"), "files/7-_t__2026.png");
        assert_eq!(file_path(&m, ""), "files/7-file");
        assert!(file_path(&m, &"x".repeat(500)).len() < 80);
    }
}
