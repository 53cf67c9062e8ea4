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

COMMIT;

GO

