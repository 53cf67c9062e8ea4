BEGIN TRANSACTION;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

GO

-- Running upgrade  -> 0001

CREATE TABLE events (
    event_id NVARCHAR(36) NOT NULL, 
    user_id NVARCHAR(128) NOT NULL, 
    event_type NVARCHAR(64) NOT NULL, 
    occurred_at DATETIMEOFFSET NOT NULL, 
    received_at DATETIMEOFFSET NOT NULL, 
    content_hash NVARCHAR(64) NOT NULL, 
    CONSTRAINT pk_events PRIMARY KEY NONCLUSTERED (event_id)
);

GO

CREATE CLUSTERED INDEX ix_events_user_timeline ON events (user_id, occurred_at DESC, event_id);

GO

INSERT INTO alembic_version (version_num) OUTPUT inserted.version_num VALUES ('0001');

GO

-- Running upgrade 0001 -> 0002

ALTER TABLE events DROP CONSTRAINT pk_events;

GO

DROP INDEX ix_events_user_timeline ON events;

GO

ALTER TABLE events ALTER COLUMN event_id NVARCHAR(36) COLLATE Latin1_General_100_BIN2 NOT NULL;

GO

ALTER TABLE events ALTER COLUMN user_id NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL;

GO

ALTER TABLE events ALTER COLUMN event_type NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL;

GO

CREATE UNIQUE CLUSTERED INDEX ix_events_user_timeline ON events (user_id, occurred_at DESC, event_id);

GO

ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY NONCLUSTERED (event_id);

GO

CREATE INDEX ix_events_user_type_timeline ON events (user_id, event_type, occurred_at DESC, event_id) INCLUDE (received_at, content_hash);

GO

UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';

GO

-- Running upgrade 0002 -> 0003

CREATE INDEX ix_events_received ON events (received_at);

GO

UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';

GO

COMMIT;

GO


-- The keyset page the API runs (GET /events/{userId}?eventType=...&cursor=..., limit 100 + 1 to
-- know if a next page exists), as pyodbc sends it. Plan: one index seek on
-- ix_events_user_type_timeline (on ix_events_user_timeline without eventType) on user_id = ? [AND
-- event_type = ?] AND occurred_at <= ?, then a residual predicate on the ties. `occurred_at <= ?`
-- is implied by the OR that follows; it is there so the seek starts at the cursor instead of
-- reading every newer row of the user.
--
-- SELECT TOP 101 events.event_id, events.user_id, events.event_type, events.occurred_at, events.received_at, events.content_hash
-- FROM events
-- WHERE events.user_id = ? AND events.event_type = ? AND events.occurred_at <= ? AND (events.occurred_at < ? OR events.occurred_at = ? AND events.event_id > ?) ORDER BY events.occurred_at DESC, events.event_id ASC
