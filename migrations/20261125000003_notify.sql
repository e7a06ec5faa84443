-- Every committed change to the configuration notifies listeners on channel
-- `botconfig_changes` with a JSON payload naming what changed (see src/cache/keys.rs,
-- `Change`). Triggers rather than application code, so an edit made with psql is heard too.
-- NOTIFY is transactional: listeners hear it only when (and if) the transaction commits.

CREATE FUNCTION botconfig_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r      record;
    sym    text;
    strat  text;
    payload jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_TABLE_NAME = 'system_config' THEN
        payload := jsonb_build_object('kind', 'setting', 'key', r.key);
    ELSIF TG_TABLE_NAME = 'trading_pairs' THEN
        IF TG_OP = 'DELETE' THEN
            payload := jsonb_build_object('kind', 'everything');
        ELSE
            payload := jsonb_build_object('kind', 'pair', 'symbol', r.symbol);
        END IF;
    ELSIF TG_TABLE_NAME = 'strategies' THEN
        payload := jsonb_build_object('kind', 'strategy', 'strategy', r.name);
    ELSIF TG_TABLE_NAME = 'pair_strategy_config' THEN
        SELECT symbol INTO sym FROM trading_pairs WHERE id = r.pair_id;
        SELECT name INTO strat FROM strategies WHERE id = r.strategy_id;
        IF sym IS NULL OR strat IS NULL THEN
            payload := jsonb_build_object('kind', 'everything');
        ELSE
            payload := jsonb_build_object('kind', 'pair_strategy', 'symbol', sym, 'strategy', strat);
        END IF;
    ELSIF TG_TABLE_NAME = 'pair_risk_config' THEN
        SELECT symbol INTO sym FROM trading_pairs WHERE id = r.pair_id;
        IF sym IS NULL THEN
            payload := jsonb_build_object('kind', 'everything');
        ELSE
            payload := jsonb_build_object('kind', 'pair_risk', 'symbol', sym);
        END IF;
    ELSE
        payload := jsonb_build_object('kind', 'everything');
    END IF;
    PERFORM pg_notify('botconfig_changes', payload::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER system_config_notify AFTER INSERT OR UPDATE OR DELETE ON system_config
    FOR EACH ROW EXECUTE FUNCTION botconfig_notify_change();
CREATE TRIGGER trading_pairs_notify AFTER INSERT OR UPDATE OR DELETE ON trading_pairs
    FOR EACH ROW EXECUTE FUNCTION botconfig_notify_change();
CREATE TRIGGER strategies_notify AFTER INSERT OR UPDATE OR DELETE ON strategies
    FOR EACH ROW EXECUTE FUNCTION botconfig_notify_change();
CREATE TRIGGER pair_strategy_config_notify AFTER INSERT OR UPDATE OR DELETE ON pair_strategy_config
    FOR EACH ROW EXECUTE FUNCTION botconfig_notify_change();
CREATE TRIGGER pair_risk_config_notify AFTER INSERT OR UPDATE OR DELETE ON pair_risk_config
    FOR EACH ROW EXECUTE FUNCTION botconfig_notify_change();
