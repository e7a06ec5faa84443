-- What a watcher of the change feed needs from the notifications: every revision's changes
-- followed by a marker that the revision is complete, and the API tokens under the same
-- channel and revision as the configuration.
--
-- The commit marker. Every revision is bumped by the first deferred notify trigger that
-- fires at commit (`botconfig_transaction_revision`); that UPDATE of `botconfig_revision`
-- queues one more deferred trigger, which Postgres fires after every deferred trigger
-- already queued, that is, after the revision's last change notification. It sends
-- `{"kind":"commit","revision":N,"at":…}`: a listener holds revision N's changes until then, so
-- one revision's changes are never split over two events.
--
-- For that order to hold, no revision may be bumped before commit time. TRUNCATE fires
-- only an immediate statement trigger, so it now just notes the truncation in a row, whose
-- deferred trigger notifies at commit like any other change.

CREATE FUNCTION botconfig_notify_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- `at`: when it committed (seconds since the epoch), for the listener's lag metric.
    PERFORM pg_notify('botconfig_changes', jsonb_build_object(
        'kind', 'commit', 'revision', NEW.revision,
        'at', extract(epoch FROM clock_timestamp()))::text);
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER botconfig_revision_commit AFTER UPDATE ON botconfig_revision
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION botconfig_notify_commit();

-- Truncations of this transaction, until it commits (each row is deleted as it notifies).
CREATE TABLE botconfig_truncations (table_name TEXT NOT NULL);

CREATE FUNCTION botconfig_note_truncation() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO botconfig_truncations (table_name) VALUES (TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE FUNCTION botconfig_notify_truncation() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM botconfig_truncations WHERE ctid = NEW.ctid;
    PERFORM pg_notify('botconfig_changes', jsonb_build_object(
        'kind', CASE WHEN NEW.table_name = 'api_tokens' THEN 'tokens' ELSE 'everything' END,
        'revision', botconfig_transaction_revision())::text);
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER botconfig_truncations_notify AFTER INSERT ON botconfig_truncations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION botconfig_notify_truncation();

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['system_config', 'trading_pairs', 'strategies', 'pair_strategy_config', 'pair_risk_config'] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_notify_truncate', t);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION botconfig_note_truncation()',
            t || '_notify_truncate', t);
    END LOOP;
END;
$$;

-- API tokens: a server caches each token's verdict, so every change that can alter one
-- (a new token, a revocation, a changed expiry or scope, a deletion) notifies, with the
-- same revision as the configuration. Noting a token's use (`last_used_at`) does not.
CREATE FUNCTION botconfig_notify_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('botconfig_changes', jsonb_build_object(
        'kind', 'tokens', 'revision', botconfig_transaction_revision())::text);
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER api_tokens_notify AFTER INSERT OR DELETE ON api_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION botconfig_notify_tokens();
CREATE CONSTRAINT TRIGGER api_tokens_notify_update AFTER UPDATE ON api_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.token_hash IS DISTINCT FROM NEW.token_hash
          OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.scope IS DISTINCT FROM NEW.scope
          OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
          OR OLD.reads_secrets IS DISTINCT FROM NEW.reads_secrets)
    EXECUTE FUNCTION botconfig_notify_tokens();
CREATE TRIGGER api_tokens_notify_truncate AFTER TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION botconfig_note_truncation();
