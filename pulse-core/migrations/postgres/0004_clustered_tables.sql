-- Nothing to do on PostgreSQL: migration 0004 makes SQLite's large tables WITHOUT ROWID
-- (clustered by primary key). Kept so both backends share version numbers.
SELECT 1;
