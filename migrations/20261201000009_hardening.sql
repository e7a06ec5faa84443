-- Closing what an attack found: sign-ins kept as a record and limited atomically, a lock an
-- admin can lift, tokens that may (or may not) read secrets, and a history that only
-- botconfig's own role can name an actor in and nobody can rewrite.

-- Every sign-in attempt, kept: who, from where (the address the limits are keyed on), from
-- which browser (a hash of its device cookie), when, and how it ended. An attempt is
-- 'checking' from the moment it is counted until its password was verified, so attempts
-- made at once are counted before any of them is checked.
CREATE TABLE sign_in_attempts (
    id           BIGSERIAL PRIMARY KEY,
    account      TEXT NOT NULL,
    address      TEXT NOT NULL,
    device       TEXT,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    outcome      TEXT NOT NULL DEFAULT 'checking'
                 CHECK (outcome IN ('checking', 'succeeded', 'failed', 'refused'))
);
CREATE INDEX sign_in_attempts_account ON sign_in_attempts (account, attempted_at);
CREATE INDEX sign_in_attempts_address ON sign_in_attempts (address, attempted_at);
CREATE INDEX sign_in_attempts_recent ON sign_in_attempts (attempted_at DESC, id DESC);
INSERT INTO sign_in_attempts (account, address, attempted_at, outcome)
    SELECT account, address, failed_at, 'failed' FROM login_failures;
DROP TABLE login_failures;

-- Failures before an admin lifted an account's lock no longer count against it.
ALTER TABLE users ADD COLUMN unlocked_at TIMESTAMPTZ;

-- A token reads secret settings only when it was created to.
ALTER TABLE api_tokens ADD COLUMN reads_secrets BOOLEAN NOT NULL DEFAULT FALSE;

-- Whether the current login role is the one that owns botconfig's tables (the role the
-- server and the CLI connect as). Only it may name the actor of a change.
CREATE FUNCTION botconfig_is_owner() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT r.oid = c.relowner
    FROM pg_catalog.pg_class c, pg_catalog.pg_roles r
    WHERE c.oid = 'public.config_changes'::regclass AND r.rolname = session_user
$$;

-- The actor and source of the current transaction, as the history records them: what
-- botconfig named, for its own role; for any other role, that role, whatever it set.
CREATE FUNCTION botconfig_actor() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN botconfig_is_owner()
                THEN COALESCE(NULLIF(current_setting('botconfig.actor', true), ''), 'sql:' || session_user)
                ELSE 'sql:' || session_user END
$$;
CREATE FUNCTION botconfig_source() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN botconfig_is_owner()
                THEN COALESCE(NULLIF(current_setting('botconfig.source', true), ''), 'sql')
                ELSE 'sql' END
$$;
CREATE FUNCTION botconfig_reason() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN botconfig_is_owner()
                THEN NULLIF(current_setting('botconfig.reason', true), '') END
$$;

CREATE OR REPLACE FUNCTION botconfig_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
        VALUES (botconfig_actor(), botconfig_source(), TG_TABLE_NAME, 'truncate', TG_TABLE_NAME,
                botconfig_reason());
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
        -- A setting that becomes secret takes its earlier values out of the history too.
        IF TG_OP = 'UPDATE' AND NOT COALESCE((old_row ->> 'is_secret')::boolean, false)
           AND COALESCE((new_row ->> 'is_secret')::boolean, false) THEN
            UPDATE config_changes c
            SET before = CASE WHEN c.before ? 'config_value'
                              THEN c.before || '{"config_value": "(secret)"}' ELSE c.before END,
                after = CASE WHEN c.after ? 'config_value'
                             THEN c.after || '{"config_value": "(secret, changed)"}' ELSE c.after END
            WHERE c.table_name = 'system_config' AND c.subject = subj
              AND (c.before ? 'config_value' OR c.after ? 'config_value');
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
            -- deletion was recorded first (see migration 7's trigger names).
            SELECT c.symbol INTO sym FROM config_changes c
            WHERE c.row_id = (any_row ->> 'pair_id')::bigint AND c.txid = txid_current()
              AND c.table_name = 'trading_pairs' AND c.operation = 'delete'
            ORDER BY c.id DESC LIMIT 1;
        END IF;
        subj := COALESCE(sym, 'pair #' || (any_row ->> 'pair_id'));
        IF TG_TABLE_NAME = 'pair_strategy_config' THEN
            SELECT strategy_name INTO strat FROM strategies WHERE id = (any_row ->> 'strategy_id')::bigint;
            subj := subj || ' ' || COALESCE(strat, 'strategy #' || (any_row ->> 'strategy_id'));
        END IF;
    END IF;

    INSERT INTO config_changes (actor, source, table_name, operation, row_id, subject, symbol, before, after, reason)
    VALUES (botconfig_actor(), botconfig_source(), TG_TABLE_NAME, lower(TG_OP),
            (any_row ->> 'id')::bigint, subj, sym, before, after, botconfig_reason());
    RETURN NULL;
END;
$$;

-- A bulk delete of pairs looked each cascaded row's pair up among all of its
-- transaction's changes (index on txid alone): quadratic in the size of the delete.
CREATE INDEX config_changes_deleted_row ON config_changes (row_id, txid)
    WHERE table_name = 'trading_pairs' AND operation = 'delete';

-- The history and the revision are written by triggers that any writer of the five tables
-- sets off, but only botconfig's role may touch them directly: the functions run as their
-- owner, and a bot's role gets no privilege on either table.
ALTER FUNCTION botconfig_record_change() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION botconfig_transaction_revision() SECURITY DEFINER SET search_path = public, pg_temp;

-- Append-only: no UPDATE, DELETE or TRUNCATE of recorded changes by any role but the
-- owning one (the redaction above runs as the owner, being SECURITY DEFINER).
CREATE FUNCTION botconfig_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c, pg_catalog.pg_roles r
                   WHERE c.oid = 'public.config_changes'::regclass AND r.rolname = current_user
                     AND r.oid = c.relowner) THEN
        RAISE EXCEPTION 'config_changes is append-only: % is refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER config_changes_append_only BEFORE UPDATE OR DELETE ON config_changes
    FOR EACH ROW EXECUTE FUNCTION botconfig_history_append_only();
CREATE TRIGGER config_changes_no_truncate BEFORE TRUNCATE ON config_changes
    FOR EACH STATEMENT EXECUTE FUNCTION botconfig_history_append_only();
