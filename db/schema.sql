SET XACT_ABORT ON;

GO

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

-- Running upgrade 0003 -> 0004

DROP INDEX ix_events_received ON events;

GO

DROP INDEX ix_events_user_type_timeline ON events;

GO

ALTER TABLE events DROP CONSTRAINT pk_events;

GO

DROP INDEX ix_events_user_timeline ON events;

GO

UPDATE events SET occurred_at = SWITCHOFFSET(occurred_at, '+00:00'), received_at = SWITCHOFFSET(received_at, '+00:00') WHERE DATEPART(TZOFFSET, occurred_at) <> 0 OR DATEPART(TZOFFSET, received_at) <> 0;

GO

ALTER TABLE events ALTER COLUMN occurred_at DATETIME2(6) NOT NULL;

GO

ALTER TABLE events ALTER COLUMN received_at DATETIME2(6) NOT NULL;

GO

CREATE UNIQUE CLUSTERED INDEX ix_events_user_timeline ON events (user_id, occurred_at DESC, event_id);

GO

ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY NONCLUSTERED (event_id);

GO

CREATE INDEX ix_events_user_type_timeline ON events (user_id, event_type, occurred_at DESC, event_id) INCLUDE (received_at, content_hash);

GO

CREATE INDEX ix_events_received ON events (received_at);

GO

UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0003';

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
--
-- With several types (eventType=a&eventType=b, padded with '' to 2, 4, 8 or 16), the same seek
-- once per type, each stopping after TOP (101) rows: plan shape, a Concatenation (or Merge Join
-- (Concatenation)) of one Index Seek + Top per type on ix_events_user_type_timeline, then a Top N
-- Sort of at most 101 rows a type. No seek reads past its page, however many rows of the type the
-- user has.
--
-- SELECT TOP 101 merged.event_id, merged.user_id, merged.event_type, merged.occurred_at, merged.received_at, merged.content_hash
-- FROM (SELECT seek1.event_id AS event_id, seek1.user_id AS user_id, seek1.event_type AS event_type, seek1.occurred_at AS occurred_at, seek1.received_at AS received_at, seek1.content_hash AS content_hash
-- FROM (SELECT TOP 101 events.event_id AS event_id, events.user_id AS user_id, events.event_type AS event_type, events.occurred_at AS occurred_at, events.received_at AS received_at, events.content_hash AS content_hash
-- FROM events
-- WHERE events.user_id = ? AND events.event_type = ? AND events.occurred_at <= ? AND (events.occurred_at < ? OR events.occurred_at = ? AND events.event_id > ?) ORDER BY events.occurred_at DESC, events.event_id ASC) AS seek1 UNION ALL SELECT seek2.event_id AS event_id, seek2.user_id AS user_id, seek2.event_type AS event_type, seek2.occurred_at AS occurred_at, seek2.received_at AS received_at, seek2.content_hash AS content_hash
-- FROM (SELECT TOP 101 events.event_id AS event_id, events.user_id AS user_id, events.event_type AS event_type, events.occurred_at AS occurred_at, events.received_at AS received_at, events.content_hash AS content_hash
-- FROM events
-- WHERE events.user_id = ? AND events.event_type = ? AND events.occurred_at <= ? AND (events.occurred_at < ? OR events.occurred_at = ? AND events.event_id > ?) ORDER BY events.occurred_at DESC, events.event_id ASC) AS seek2) AS merged ORDER BY merged.occurred_at DESC, merged.event_id ASC
