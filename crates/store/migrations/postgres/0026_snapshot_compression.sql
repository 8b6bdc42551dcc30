-- An issued document's snapshot (about 4 KB of JSON; four written a flow) is compressed with
-- lz4 rather than pglz, PostgreSQL's default: pglz was 2.6 % of PostgreSQL's CPU during the
-- load generator's flows (`perf`), and writing 20,096 snapshots took 1.89-2.03 s with pglz
-- against 0.66-0.67 s with lz4, reading them back 0.96 s against 0.74 s, for 13 % more bytes
-- (BENCHMARKS.md, the tenth session). Snapshots already written keep their compression.
-- PostgreSQL 13, or a server built without lz4, refuses the setting: the column then stays as
-- it was, which changes nothing but the cost.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE documents ALTER COLUMN snapshot SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error OR undefined_object THEN
    RAISE NOTICE 'documents.snapshot keeps the default compression: %', SQLERRM;
END
$$;
