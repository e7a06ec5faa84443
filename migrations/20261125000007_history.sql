-- A history of every change to the five configuration tables, whoever made it.
--
-- Triggers write it, in the same transaction as the change, so nothing can change the
-- configuration without being recorded: not the console, not the API or the CLI, not a bot,
-- not psql. botconfig names the actor and the source per transaction
-- (`set_config('botconfig.actor', …, true)`, likewise `botconfig.source` and
-- `botconfig.reason`); a transaction that names none is recorded as `sql:<login role>`
-- from source `sql`.
--
-- An update records only the fields that changed (before and after); an insert records the
-- new row and a delete the old one, whole, so either can be reverted. A secret setting's
-- value is never recorded: only that it changed.

-- Secrets (exchange keys, chat tokens) are never shown, exported, logged or recorded.
ALTER TABLE system_config ADD COLUMN is_secret BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE config_changes (
    id          BIGSERIAL PRIMARY KEY,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- Groups the changes of one transaction (an import, a settings page), to revert together.
    txid        BIGINT NOT NULL DEFAULT txid_current(),
    actor       TEXT NOT NULL,
    source      TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    operation   TEXT NOT NULL CHECK (operation IN ('insert', 'update', 'delete', 'truncate')),
    row_id      BIGINT,
    -- The row as an operator names it: a setting's key, a pair's symbol, "BTC/USDT rsi".
    subject     TEXT NOT NULL,
    -- The pair the row belongs to, to filter a pair's history.
    symbol      TEXT,
    before      JSONB,
    after       JSONB,
    reason      TEXT
);
CREATE INDEX config_changes_changed_at ON config_changes (changed_at DESC, id DESC);
CREATE INDEX config_changes_symbol ON config_changes (symbol, changed_at DESC);
CREATE INDEX config_changes_txid ON config_changes (txid);

CREATE FUNCTION botconfig_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row  jsonb;
    new_row  jsonb;
    any_row  jsonb;
    before   jsonb;
    after    jsonb;
    k        text;
    sym      text;
    strat    text;
    subj     text;
    -- Bookkeeping columns, not changes an operator made.
    ignored  text[] := ARRAY['version', 'created_at', 'updated_at'];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO config_changes (actor, source, table_name, operation, subject, reason)
        VALUES (COALESCE(NULLIF(current_setting('botconfig.actor', true), ''), 'sql:' || session_user),
                COALESCE(NULLIF(current_setting('botconfig.source', true), ''), 'sql'),
                TG_TABLE_NAME, 'truncate', TG_TABLE_NAME,
                NULLIF(current_setting('botconfig.reason', true), ''));
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    any_row := COALESCE(new_row, old_row);
    IF TG_OP = 'UPDATE' THEN
        before := '{}';
        after := '{}';
        FOR k IN SELECT jsonb_object_keys(new_row) LOOP
            IF NOT (k = ANY (ignored)) AND new_row -> k IS DISTINCT FROM old_row -> k THEN
                before := before || jsonb_build_object(k, old_row -> k);
                after := after || jsonb_build_object(k, new_row -> k);
            END IF;
        END LOOP;
        IF after = '{}' THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        after := new_row - ignored;
    ELSE
        before := old_row - ignored;
    END IF;

    IF TG_TABLE_NAME = 'system_config' THEN
        subj := any_row ->> 'config_key';
        IF COALESCE((old_row ->> 'is_secret')::boolean, false)
           OR COALESCE((new_row ->> 'is_secret')::boolean, false) THEN
            IF before ? 'config_value' THEN
                before := before || '{"config_value": "(secret)"}';
            END IF;
            IF after ? 'config_value' THEN
                after := after || '{"config_value": "(secret, changed)"}';
            END IF;
        END IF;
    ELSIF TG_TABLE_NAME = 'trading_pairs' THEN
        sym := any_row ->> 'symbol';
        subj := sym;
    ELSIF TG_TABLE_NAME = 'strategies' THEN
        subj := any_row ->> 'strategy_name';
    ELSE
        SELECT symbol INTO sym FROM trading_pairs WHERE id = (any_row ->> 'pair_id')::bigint;
        IF sym IS NULL THEN
            -- The pair was deleted in this transaction (this row goes by cascade): its
            -- deletion was recorded first (see the triggers' name below).
            SELECT c.symbol INTO sym FROM config_changes c
            WHERE c.txid = txid_current() AND c.table_name = 'trading_pairs'
              AND c.operation = 'delete' AND c.row_id = (any_row ->> 'pair_id')::bigint
            ORDER BY c.id DESC LIMIT 1;
        END IF;
        subj := COALESCE(sym, 'pair #' || (any_row ->> 'pair_id'));
        IF TG_TABLE_NAME = 'pair_strategy_config' THEN
            SELECT strategy_name INTO strat FROM strategies WHERE id = (any_row ->> 'strategy_id')::bigint;
            subj := subj || ' ' || COALESCE(strat, 'strategy #' || (any_row ->> 'strategy_id'));
        END IF;
    END IF;

    INSERT INTO config_changes (actor, source, table_name, operation, row_id, subject, symbol, before, after, reason)
    VALUES (COALESCE(NULLIF(current_setting('botconfig.actor', true), ''), 'sql:' || session_user),
            COALESCE(NULLIF(current_setting('botconfig.source', true), ''), 'sql'),
            TG_TABLE_NAME, lower(TG_OP), (any_row ->> 'id')::bigint, subj, sym, before, after,
            NULLIF(current_setting('botconfig.reason', true), ''));
    RETURN NULL;
END;
$$;

-- Named "History" so that it sorts before the foreign keys' "RI_ConstraintTrigger_…":
-- triggers of one event fire in name order, so a pair's deletion is recorded before the
-- deletions it cascades to.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['system_config', 'trading_pairs', 'strategies', 'pair_strategy_config', 'pair_risk_config'] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION botconfig_record_change()',
            'History', t);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION botconfig_record_change()',
            'History (truncate)', t);
    END LOOP;
END;
$$;
