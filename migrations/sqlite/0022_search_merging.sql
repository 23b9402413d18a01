-- How the search index merges its segments (migration 0008 made it).
--
-- Every group commit writes the batch's tokens as a new FTS5 segment, and
-- FTS5 merges segments of a level once `automerge` of them are there
-- (default 4): each token is rewritten once per level it climbs, and with
-- four to a level that is many levels. A profile of durable sends put the
-- merging at 11% of the server's time. Sixteen to a level halves the
-- levels: the p99 of a durable send halved and their rate rose 3-13%
-- (BENCHMARKS.md, twenty-first part); a search reads a few more segments
-- (0.66 -> 0.83 ms a query at 520,000 messages, 1.99 -> 1.91 ms at
-- 1,160,000, measured outside the server by tools/fts_merging.py).
--
-- `crisismerge` is how many segments a level may hold before the whole
-- level is merged at once, inside the commit that tipped it. Left at its
-- default (16, the new `automerge`), every merge would be such a crisis,
-- and the merges of the large levels would stall a commit for a long
-- moment; at 64 the incremental merges have room to finish first.
INSERT INTO messages_search (messages_search, rank) VALUES ('automerge', 16);
INSERT INTO messages_search (messages_search, rank) VALUES ('crisismerge', 64);
