-- The column names the existing bots of this family (Python, SQLAlchemy) read and write
-- directly, so botconfig is a drop-in for their database. Columns botconfig adds keep
-- defaults, so an INSERT or UPDATE written for the original columns alone still works.

ALTER TABLE system_config RENAME COLUMN key TO config_key;
ALTER TABLE system_config RENAME COLUMN value TO config_value;
ALTER TABLE system_config RENAME COLUMN value_type TO config_type;
-- A bot's upsert sends NULL when it has no description or category, and keeps the stored
-- one with COALESCE(EXCLUDED.x, system_config.x): a default or a BEFORE trigger would make
-- EXCLUDED.x non-null and wipe the stored value, so both may be NULL (read as "" and
-- "general").
ALTER TABLE system_config ALTER COLUMN description DROP NOT NULL;
ALTER TABLE system_config ALTER COLUMN category DROP NOT NULL;
ALTER TABLE system_config ADD COLUMN created_by TEXT NOT NULL DEFAULT 'system';

ALTER TABLE trading_pairs RENAME COLUMN base_asset TO base_currency;
ALTER TABLE trading_pairs RENAME COLUMN quote_asset TO quote_currency;

ALTER TABLE strategies RENAME COLUMN name TO strategy_name;

-- A pair inserted without its risk row (as bots insert them) gets the default one.
CREATE FUNCTION botconfig_default_risk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pair_risk_config (pair_id) VALUES (NEW.id) ON CONFLICT (pair_id) DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER trading_pairs_default_risk AFTER INSERT ON trading_pairs
    FOR EACH ROW EXECUTE FUNCTION botconfig_default_risk();

-- The notifications name rows by the renamed columns.
CREATE OR REPLACE FUNCTION botconfig_row_change(tbl text, r record) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    sym   text;
    strat text;
BEGIN
    IF tbl = 'system_config' THEN
        RETURN jsonb_build_object('kind', 'setting', 'key', r.config_key);
    ELSIF tbl = 'trading_pairs' THEN
        RETURN jsonb_build_object('kind', 'pair', 'symbol', r.symbol);
    ELSIF tbl = 'strategies' THEN
        RETURN jsonb_build_object('kind', 'strategy', 'strategy', r.strategy_name);
    ELSIF tbl = 'pair_strategy_config' THEN
        SELECT symbol INTO sym FROM trading_pairs WHERE id = r.pair_id;
        SELECT strategy_name INTO strat FROM strategies WHERE id = r.strategy_id;
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

-- An ORM that maps the timestamp (or created_by) columns without a default of its own
-- sends NULL for them; the row gets the time of the insert (and "system") instead of a
-- NOT NULL violation.
CREATE FUNCTION botconfig_stamp_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_at := COALESCE(NEW.created_at, now());
    NEW.updated_at := COALESCE(NEW.updated_at, now());
    IF TG_TABLE_NAME = 'system_config' THEN
        NEW.created_by := COALESCE(NEW.created_by, 'system');
    END IF;
    RETURN NEW;
END;
$$;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['system_config', 'trading_pairs', 'strategies', 'pair_strategy_config', 'pair_risk_config'] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I BEFORE INSERT ON %I FOR EACH ROW EXECUTE FUNCTION botconfig_stamp_insert()',
            t || '_stamp', t);
    END LOOP;
END;
$$;
