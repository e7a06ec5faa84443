-- The configuration of a multi-pair trading bot. The database enforces what it can:
-- types, ranges, uniqueness and references; Rust validation repeats these rules with
-- messages an operator can read.

-- Every editable row carries a version (bumped on each UPDATE, for optimistic concurrency)
-- and created/updated timestamps; one trigger keeps both honest, even for hand-written SQL.
CREATE FUNCTION botconfig_touch_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE system_config (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
    value       TEXT NOT NULL,
    value_type  TEXT NOT NULL CHECK (value_type IN ('string', 'integer', 'float', 'boolean', 'json')),
    description TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL CHECK (category IN ('general', 'system', 'notification', 'risk')),
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    version     INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT system_config_value_matches_type CHECK (
        CASE value_type
            WHEN 'integer' THEN value ~ '^-?[0-9]{1,18}$'
            WHEN 'float'   THEN value ~ '^-?[0-9]+(\.[0-9]+)?$'
            WHEN 'boolean' THEN value IN ('true', 'false')
            WHEN 'json'    THEN value::jsonb IS NOT NULL
            ELSE TRUE
        END
    )
);

CREATE TABLE trading_pairs (
    id                   BIGSERIAL PRIMARY KEY,
    symbol               TEXT NOT NULL UNIQUE CHECK (symbol ~ '^[A-Z0-9]{2,12}/[A-Z0-9]{2,12}$'),
    base_asset           TEXT NOT NULL,
    quote_asset          TEXT NOT NULL,
    is_active            BOOLEAN NOT NULL DEFAULT TRUE,
    initial_balance      NUMERIC(20, 8) NOT NULL CHECK (initial_balance >= 0),
    trade_size_usd       NUMERIC(20, 8) NOT NULL CHECK (trade_size_usd > 0),
    max_position_percent NUMERIC(7, 4) NOT NULL CHECK (max_position_percent > 0 AND max_position_percent <= 100),
    min_trade_amount     NUMERIC(30, 12) NOT NULL DEFAULT 0.0001 CHECK (min_trade_amount >= 0),
    max_trade_amount     NUMERIC(30, 12) NOT NULL DEFAULT 1000000 CHECK (max_trade_amount > 0),
    price_precision      INTEGER NOT NULL DEFAULT 2 CHECK (price_precision BETWEEN 0 AND 18),
    amount_precision     INTEGER NOT NULL DEFAULT 6 CHECK (amount_precision BETWEEN 0 AND 18),
    version              INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT trading_pairs_symbol_is_base_quote CHECK (symbol = base_asset || '/' || quote_asset),
    CONSTRAINT trading_pairs_trade_amount_range CHECK (max_trade_amount >= min_trade_amount)
);

-- `parameters` defines the strategy's tunables: a JSON array of
-- {name, label, kind: "integer"|"decimal", min, max, default, help, greater_than?}.
CREATE TABLE strategies (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
    display_name  TEXT NOT NULL CHECK (length(display_name) > 0),
    description   TEXT NOT NULL DEFAULT '',
    strategy_type TEXT NOT NULL CHECK (strategy_type IN ('technical', 'fundamental', 'hybrid')),
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    parameters    JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(parameters) = 'array'),
    version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE pair_strategy_config (
    id          BIGSERIAL PRIMARY KEY,
    pair_id     BIGINT NOT NULL REFERENCES trading_pairs (id) ON DELETE CASCADE,
    strategy_id BIGINT NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    is_enabled  BOOLEAN NOT NULL DEFAULT TRUE,
    weight      NUMERIC(5, 4) NOT NULL CHECK (weight >= 0 AND weight <= 1),
    parameters  JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(parameters) = 'object'),
    version     INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (pair_id, strategy_id)
);
CREATE INDEX pair_strategy_config_strategy_id ON pair_strategy_config (strategy_id);

CREATE TABLE pair_risk_config (
    id                       BIGSERIAL PRIMARY KEY,
    pair_id                  BIGINT NOT NULL UNIQUE REFERENCES trading_pairs (id) ON DELETE CASCADE,
    stop_loss_percent        NUMERIC(7, 4) NOT NULL DEFAULT 5 CHECK (stop_loss_percent > 0 AND stop_loss_percent <= 100),
    take_profit_percent      NUMERIC(8, 4) NOT NULL DEFAULT 10 CHECK (take_profit_percent > 0 AND take_profit_percent <= 1000),
    max_daily_trades         INTEGER NOT NULL DEFAULT 10 CHECK (max_daily_trades BETWEEN 0 AND 10000),
    max_daily_loss_percent   NUMERIC(7, 4) NOT NULL DEFAULT 5 CHECK (max_daily_loss_percent > 0 AND max_daily_loss_percent <= 100),
    trailing_stop_enabled    BOOLEAN NOT NULL DEFAULT FALSE,
    trailing_stop_percent    NUMERIC(7, 4) NOT NULL DEFAULT 2 CHECK (trailing_stop_percent > 0 AND trailing_stop_percent <= 100),
    max_drawdown_percent     NUMERIC(7, 4) NOT NULL DEFAULT 15 CHECK (max_drawdown_percent > 0 AND max_drawdown_percent <= 100),
    position_sizing_method   TEXT NOT NULL DEFAULT 'fixed' CHECK (position_sizing_method IN ('fixed', 'percent', 'kelly', 'volatility')),
    volatility_lookback_days INTEGER NOT NULL DEFAULT 30 CHECK (volatility_lookback_days BETWEEN 1 AND 365),
    version                  INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TRIGGER system_config_touch BEFORE UPDATE ON system_config
    FOR EACH ROW EXECUTE FUNCTION botconfig_touch_row();
CREATE TRIGGER trading_pairs_touch BEFORE UPDATE ON trading_pairs
    FOR EACH ROW EXECUTE FUNCTION botconfig_touch_row();
CREATE TRIGGER strategies_touch BEFORE UPDATE ON strategies
    FOR EACH ROW EXECUTE FUNCTION botconfig_touch_row();
CREATE TRIGGER pair_strategy_config_touch BEFORE UPDATE ON pair_strategy_config
    FOR EACH ROW EXECUTE FUNCTION botconfig_touch_row();
CREATE TRIGGER pair_risk_config_touch BEFORE UPDATE ON pair_risk_config
    FOR EACH ROW EXECUTE FUNCTION botconfig_touch_row();
