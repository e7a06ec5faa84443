-- Finished benchmark runs, for the console's history.
CREATE TABLE benchmark_runs (
    id          BIGSERIAL PRIMARY KEY,
    ran_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    machine     TEXT NOT NULL,
    pairs       INTEGER NOT NULL CHECK (pairs >= 0),
    threads     INTEGER NOT NULL CHECK (threads >= 1),
    iterations  BIGINT NOT NULL CHECK (iterations >= 1),
    -- The full report: every measurement and the speedups.
    report      JSONB NOT NULL CHECK (jsonb_typeof(report) = 'object')
);
CREATE INDEX benchmark_runs_ran_at ON benchmark_runs (ran_at DESC);
