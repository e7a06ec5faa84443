-- Every reader of the configuration, as it last reported itself: the servers (each one
-- every couple of seconds) and the client replicas in bots' processes (on connecting to the
-- stream and then periodically). Not configuration: no revision, no history, no notify.
CREATE TABLE fleet_readers (
    instance          TEXT PRIMARY KEY CHECK (length(instance) BETWEEN 1 AND 100),
    kind              TEXT NOT NULL CHECK (kind IN ('server', 'client')),
    name              TEXT NOT NULL CHECK (length(name) <= 200),
    host              TEXT NOT NULL CHECK (length(host) <= 200),
    library           TEXT NOT NULL CHECK (length(library) <= 100),
    applied_revision  BIGINT NOT NULL CHECK (applied_revision >= 0),
    -- How long before its report the reader last confirmed it was current (NULL: never).
    confirmed_age_ms  BIGINT CHECK (confirmed_age_ms >= 0),
    stale             BOOLEAN NOT NULL,
    first_seen        TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen         TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Since when its applied revision has been behind the database's (NULL: it is not).
    behind_since      TIMESTAMPTZ
);

-- What should_trade_pair answers when the configuration a reader holds is older than the
-- grace period (the setting outage_grace_seconds): 'fail_open' keeps trading on the last
-- good values, 'fail_closed' stops opening positions, and 'auto' is fail_closed when paper
-- trading is off and fail_open when it is on.
ALTER TABLE pair_risk_config
    ADD COLUMN outage_policy TEXT NOT NULL DEFAULT 'auto'
    CHECK (outage_policy IN ('auto', 'fail_open', 'fail_closed'));

INSERT INTO system_config (config_key, config_value, config_type, category, description)
VALUES ('outage_grace_seconds', '60', 'integer', 'risk',
        'Seconds the configuration a reader holds may go unconfirmed before each pair''s outage policy applies')
ON CONFLICT (config_key) DO NOTHING;
