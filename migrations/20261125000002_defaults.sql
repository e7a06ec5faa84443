-- The defaults a new installation starts from.

INSERT INTO system_config (key, value, value_type, category, description) VALUES
    ('paper_trading',                 'true',  'boolean', 'general',      'Simulate orders instead of sending them to the exchange'),
    ('check_interval',                '60',    'integer', 'general',      'Seconds between two market checks of the trading loop'),
    ('max_concurrent_positions',      '3',     'integer', 'risk',         'Most positions open at the same time across all pairs'),
    ('total_portfolio_balance',       '10000', 'float',   'general',      'Total portfolio balance in USD that allocations are taken from'),
    ('rebalance_interval_hours',      '24',    'integer', 'general',      'Hours between two portfolio rebalances'),
    ('telegram_enabled',              'true',  'boolean', 'notification', 'Send notifications to Telegram'),
    ('notify_on_trades',              'true',  'boolean', 'notification', 'Notify when a trade is opened or closed'),
    ('notify_on_signals',             'false', 'boolean', 'notification', 'Notify on every strategy signal'),
    ('notify_on_errors',              'true',  'boolean', 'notification', 'Notify when the bot hits an error'),
    ('daily_summary_enabled',         'true',  'boolean', 'notification', 'Send a daily performance summary'),
    ('global_max_daily_loss_percent', '10.0',  'float',   'risk',         'Stop trading for the day after losing this share of the portfolio'),
    ('correlation_check_enabled',     'true',  'boolean', 'risk',         'Avoid opening positions in strongly correlated pairs'),
    ('emergency_stop_enabled',        'true',  'boolean', 'risk',         'Halt all trading when the emergency stop loss is reached'),
    ('emergency_stop_loss_percent',   '20.0',  'float',   'risk',         'Portfolio drawdown that triggers the emergency stop'),
    ('emergency_stop_triggered',      'false', 'boolean', 'risk',         'Set when the emergency stop has fired: no pair trades until an operator clears it'),
    ('min_price_history',             '50',    'integer', 'system',       'Candles of price history required before a strategy may signal'),
    ('log_level',                     'INFO',  'string',  'system',       'Bot log level: DEBUG, INFO, WARNING or ERROR'),
    ('enable_backtesting',            'false', 'boolean', 'system',       'Allow backtests to run alongside live trading'),
    ('data_retention_days',           '365',   'integer', 'system',       'Days of trade and price history to keep');

INSERT INTO trading_pairs (symbol, base_asset, quote_asset, initial_balance, trade_size_usd, max_position_percent,
                           min_trade_amount, max_trade_amount, price_precision, amount_precision) VALUES
    ('BTC/USDT', 'BTC', 'USDT', 3000, 200, 30, 0.00001, 100,    2, 6),
    ('ETH/USDT', 'ETH', 'USDT', 2500, 150, 25, 0.0001,  1000,   2, 5),
    ('DOT/USDT', 'DOT', 'USDT', 1000,  70, 10, 0.1,     100000, 3, 2);

INSERT INTO strategies (name, display_name, description, strategy_type, parameters) VALUES
    ('sma_crossover', 'SMA crossover', 'Buys when the short moving average crosses above the long one', 'technical',
     '[{"name": "short_period", "label": "Short period", "kind": "integer", "min": 2, "max": 200, "default": 10, "help": "Candles in the short moving average"},
       {"name": "long_period", "label": "Long period", "kind": "integer", "min": 3, "max": 400, "default": 30, "help": "Candles in the long moving average", "greater_than": "short_period"}]'),
    ('rsi', 'RSI', 'Relative strength index: buys oversold, sells overbought', 'technical',
     '[{"name": "rsi_period", "label": "RSI period", "kind": "integer", "min": 2, "max": 100, "default": 14, "help": "Candles the RSI is computed over"},
       {"name": "overbought_threshold", "label": "Overbought threshold", "kind": "decimal", "min": 50, "max": 100, "default": 70, "help": "RSI above which the pair is overbought", "greater_than": "oversold_threshold"},
       {"name": "oversold_threshold", "label": "Oversold threshold", "kind": "decimal", "min": 0, "max": 50, "default": 30, "help": "RSI below which the pair is oversold"}]'),
    ('macd', 'MACD', 'Moving average convergence divergence', 'technical',
     '[{"name": "fast_period", "label": "Fast period", "kind": "integer", "min": 2, "max": 100, "default": 12, "help": "Candles in the fast EMA"},
       {"name": "slow_period", "label": "Slow period", "kind": "integer", "min": 3, "max": 200, "default": 26, "help": "Candles in the slow EMA", "greater_than": "fast_period"},
       {"name": "signal_period", "label": "Signal period", "kind": "integer", "min": 2, "max": 100, "default": 9, "help": "Candles in the signal line EMA"}]'),
    ('bollinger_bands', 'Bollinger bands', 'Mean reversion on bands around a moving average', 'technical',
     '[{"name": "period", "label": "Period", "kind": "integer", "min": 2, "max": 200, "default": 20, "help": "Candles in the middle moving average"},
       {"name": "std_dev", "label": "Standard deviations", "kind": "decimal", "min": 0.5, "max": 5, "default": 2, "help": "Band width in standard deviations"}]'),
    ('stochastic', 'Stochastic oscillator', 'Momentum: where the close sits in the recent range', 'technical',
     '[{"name": "k_period", "label": "%K period", "kind": "integer", "min": 2, "max": 100, "default": 14, "help": "Candles in the %K line"},
       {"name": "d_period", "label": "%D period", "kind": "integer", "min": 1, "max": 50, "default": 3, "help": "Smoothing of the %D line"},
       {"name": "overbought", "label": "Overbought", "kind": "decimal", "min": 50, "max": 100, "default": 80, "help": "Level above which the pair is overbought", "greater_than": "oversold"},
       {"name": "oversold", "label": "Oversold", "kind": "decimal", "min": 0, "max": 50, "default": 20, "help": "Level below which the pair is oversold"}]');

INSERT INTO pair_strategy_config (pair_id, strategy_id, is_enabled, weight, parameters)
SELECT p.id, s.id, TRUE,
       CASE s.name WHEN 'sma_crossover' THEN 0.6 ELSE 0.4 END,
       CASE s.name
           WHEN 'sma_crossover' THEN '{"short_period": 10, "long_period": 30}'::jsonb
           ELSE '{"rsi_period": 14, "overbought_threshold": 70, "oversold_threshold": 30}'::jsonb
       END
FROM trading_pairs p CROSS JOIN strategies s
WHERE s.name IN ('sma_crossover', 'rsi');

INSERT INTO pair_risk_config (pair_id) SELECT id FROM trading_pairs;
