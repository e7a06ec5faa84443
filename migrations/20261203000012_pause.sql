-- A pair can be paused, besides active/inactive: now (until resumed) or until a time, with
-- a reason and a mode. 'no_new_entries': the bot opens nothing, open positions are managed
-- as usual; 'close_out': the bot should exit its open positions. A pause whose end has
-- passed is over by the clock alone: readers compare paused_until with now, nothing has to
-- run at that instant to end it.
ALTER TABLE trading_pairs
    ADD COLUMN paused_at    TIMESTAMPTZ,
    ADD COLUMN paused_until TIMESTAMPTZ,
    ADD COLUMN pause_reason TEXT CHECK (length(pause_reason) BETWEEN 1 AND 200),
    ADD COLUMN pause_mode   TEXT CHECK (pause_mode IN ('no_new_entries', 'close_out')),
    -- All or nothing: a pause has a start, a reason and a mode; an end only if it has those.
    ADD CONSTRAINT trading_pairs_pause_whole CHECK (
        (paused_at IS NULL AND paused_until IS NULL AND pause_reason IS NULL AND pause_mode IS NULL)
        OR (paused_at IS NOT NULL AND pause_reason IS NOT NULL AND pause_mode IS NOT NULL)),
    ADD CONSTRAINT trading_pairs_pause_ends_after_start CHECK (paused_until > paused_at);

-- How often freqtrade's RemotePairList asks for the pair list again (its refresh_period).
INSERT INTO system_config (config_key, config_value, config_type, category, description)
VALUES ('freqtrade_refresh_period', '300', 'integer', 'general',
        'Seconds between two fetches of the pair list by freqtrade''s RemotePairList (its refresh_period)')
ON CONFLICT (config_key) DO NOTHING;
