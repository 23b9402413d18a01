# What FTS5's merge settings cost a write and a search, outside the server
# (BENCHMARKS.md, twenty-first part; migrations/sqlite/0022_search_merging.sql).
#
#   python3 tools/fts_merging.py AUTOMERGE CRISISMERGE SEEDED BATCHES
#
# Seeds an index like the server's (external content, the same tokenizer,
# kept by a trigger) with SEEDED messages merged into one segment, as
# `conversate search rebuild` leaves it; then stores BATCHES batches of 16
# messages, each in a transaction of its own as group commit does, and
# prints messages a second, the commits' percentiles and the mean time of
# 200 one-word searches afterwards. Uses Python's own SQLite.
import os, random, sqlite3, sys, tempfile, time

automerge, crisismerge, seeded, batches = (int(a) for a in sys.argv[1:5])
random.seed(7)
words = [
    "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(3, 9)))
    for _ in range(20000)
]


def text():
    return " ".join(random.choice(words) for _ in range(random.randint(4, 16)))


with tempfile.TemporaryDirectory() as tmp:
    db = sqlite3.connect(os.path.join(tmp, "index.sqlite3"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, content TEXT, file_name TEXT)")
    db.execute(
        "CREATE VIRTUAL TABLE s USING fts5(content, file_name, content='messages', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute(
        "CREATE TRIGGER added AFTER INSERT ON messages BEGIN "
        "INSERT INTO s(rowid, content, file_name) VALUES (NEW.id, NEW.content, NEW.file_name); END"
    )
    db.execute("BEGIN")
    db.executemany("INSERT INTO messages (content) VALUES (?)", ((text(),) for _ in range(seeded)))
    db.execute("COMMIT")
    db.execute("INSERT INTO s(s) VALUES ('optimize')")
    db.execute("INSERT INTO s(s, rank) VALUES ('automerge', ?)", (automerge,))
    db.execute("INSERT INTO s(s, rank) VALUES ('crisismerge', ?)", (crisismerge,))

    commits = []
    started = time.perf_counter()
    for _ in range(batches):
        rows = [(text(),) for _ in range(16)]
        t = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO messages (content) VALUES (?)", rows)
        db.execute("COMMIT")
        commits.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    commits.sort()

    def ms(p):
        return commits[min(len(commits) - 1, int(len(commits) * p))] * 1000

    queries = [random.choice(words) for _ in range(200)]
    t = time.perf_counter()
    for word in queries:
        db.execute("SELECT rowid FROM s WHERE s MATCH ? ORDER BY rank LIMIT 50", (word,)).fetchall()
    search_ms = (time.perf_counter() - t) / len(queries) * 1000
    print(
        f"automerge {automerge}, crisismerge {crisismerge}: {batches * 16 / elapsed:.0f} msg/s; "
        f"commit p50 {ms(0.5):.2f} ms, p99 {ms(0.99):.2f} ms, p99.9 {ms(0.999):.2f} ms, "
        f"max {commits[-1] * 1000:.1f} ms; search {search_ms:.2f} ms"
    )
