-- One global revision of the configuration, so a server can tell whether what it has
-- applied is current.
--
-- Every committed transaction that changes the five configuration tables, whoever wrote it
-- (botconfig, a bot, psql), advances `botconfig_revision.revision` by one in that same
-- transaction, and every notification it sends carries the new revision. The bump happens
-- in a deferred trigger, at commit time, so the revision row is locked only while the
-- transaction commits: writers are serialized on it in commit order (revision order is
-- commit order) without new deadlocks against the rows they locked earlier.
--
-- The notifications also name what the *old* row affected, not only the new one (a
-- renamed pair, a strategy row moved to another pair), and TRUNCATE notifies "everything".

CREATE TABLE botconfig_revision (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    revision  BIGINT NOT NULL DEFAULT 0 CHECK (revision >= 0)
);
INSERT INTO botconfig_revision DEFAULT VALUES;

-- This transaction's revision: bumped once, on first use, and remembered for the rest of
-- the transaction in a transaction-local setting (a rolled-back savepoint rolls back both).
CREATE FUNCTION botconfig_transaction_revision() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    rev bigint;
BEGIN
    rev := NULLIF(current_setting('botconfig.transaction_revision', true), '')::bigint;
    IF rev IS NULL THEN
        UPDATE botconfig_revision SET revision = revision + 1 RETURNING revision INTO rev;
        PERFORM set_config('botconfig.transaction_revision', rev::text, true);
    END IF;
    RETURN rev;
END;
$$;

-- What one row (old or new image) affects, as a `Change` (src/cache/keys.rs).
CREATE FUNCTION botconfig_row_change(tbl text, r record) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    sym   text;
    strat text;
BEGIN
    IF tbl = 'system_config' THEN
        RETURN jsonb_build_object('kind', 'setting', 'key', r.key);
    ELSIF tbl = 'trading_pairs' THEN
        RETURN jsonb_build_object('kind', 'pair', 'symbol', r.symbol);
    ELSIF tbl = 'strategies' THEN
        RETURN jsonb_build_object('kind', 'strategy', 'strategy', r.name);
    ELSIF tbl = 'pair_strategy_config' THEN
        SELECT symbol INTO sym FROM trading_pairs WHERE id = r.pair_id;
        SELECT name INTO strat FROM strategies WHERE id = r.strategy_id;
        IF sym IS NULL OR strat IS NULL THEN
            RETURN jsonb_build_object('kind', 'everything');
        END IF;
        RETURN jsonb_build_object('kind', 'pair_strategy', 'symbol', sym, 'strategy', strat);
    ELSIF tbl = 'pair_risk_config' THEN
        SELECT symbol INTO sym FROM trading_pairs WHERE id = r.pair_id;
        IF sym IS NULL THEN
            RETURN jsonb_build_object('kind', 'everything');
        END IF;
        RETURN jsonb_build_object('kind', 'pair_risk', 'symbol', sym);
    END IF;
    RETURN jsonb_build_object('kind', 'everything');
END;
$$;

-- PL/pgSQL may evaluate every operand of an AND, and other tables' rows have no symbol.
CREATE FUNCTION botconfig_symbol_changed(old_row record, new_row record) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN old_row.symbol IS DISTINCT FROM new_row.symbol;
END;
$$;

CREATE OR REPLACE FUNCTION botconfig_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rev     bigint := botconfig_transaction_revision();
    changes jsonb[] := ARRAY[]::jsonb[];
    c       jsonb;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        changes := ARRAY[jsonb_build_object('kind', 'everything')];
    ELSIF TG_TABLE_NAME = 'trading_pairs' AND TG_OP = 'DELETE' THEN
        -- Its strategy and risk rows went with it, under its symbol.
        changes := ARRAY[jsonb_build_object('kind', 'everything')];
    ELSIF TG_TABLE_NAME = 'trading_pairs' AND TG_OP = 'UPDATE' AND botconfig_symbol_changed(OLD, NEW) THEN
        -- Every key of the old symbol (its risk, its strategies) now names nothing.
        changes := ARRAY[jsonb_build_object('kind', 'everything')];
    ELSE
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            changes := changes || botconfig_row_change(TG_TABLE_NAME, OLD);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            c := botconfig_row_change(TG_TABLE_NAME, NEW);
            IF NOT c = ANY (changes) THEN
                changes := changes || c;
            END IF;
        END IF;
    END IF;
    FOREACH c IN ARRAY changes LOOP
        PERFORM pg_notify('botconfig_changes', (c || jsonb_build_object('revision', rev))::text);
    END LOOP;
    RETURN NULL;
END;
$$;

-- Row changes: deferred to commit time (see above). TRUNCATE fires no row trigger, and a
-- constraint trigger cannot be a statement trigger, so it has its own.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['system_config', 'trading_pairs', 'strategies', 'pair_strategy_config', 'pair_risk_config'] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_notify', t);
        EXECUTE format(
            'CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION botconfig_notify_change()',
            t || '_notify', t);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION botconfig_notify_change()',
            t || '_notify_truncate', t);
    END LOOP;
END;
$$;
