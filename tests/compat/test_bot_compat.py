"""A bot of the family botconfig serves (Python, SQLAlchemy over psycopg2), reading and
writing the five configuration tables directly, by their original column names, through
one shared session, as such bots do. Run against a botconfig server and its database:

    E2E_DATABASE_URL=postgres://... BASE_URL=http://127.0.0.1:3107 BOTCONFIG_BIN=... BOTCONFIG_TOKEN=... pytest tests/compat
"""

import json
import os
import subprocess
import time
import urllib.request
from decimal import Decimal

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    create_engine,
    text,
)
from sqlalchemy.orm import Session, declarative_base

# The bot logs in as its own role (`botconfig db bot-role`), as the README says bots should.
BOT_ROLE = os.environ.get("BOT_ROLE")
DATABASE_URL = os.environ.get("BOT_DATABASE_URL", os.environ["E2E_DATABASE_URL"]).replace(
    "postgres://", "postgresql+psycopg2://", 1)
BASE_URL = os.environ["BASE_URL"]
BOTCONFIG_BIN = os.environ["BOTCONFIG_BIN"]
# The API needs a token (`botconfig token create NAME --scope read`).
API_TOKEN = os.environ["BOTCONFIG_TOKEN"]

Base = declarative_base()


class SystemConfig(Base):
    __tablename__ = "system_config"
    id = Column(Integer, primary_key=True)
    config_key = Column(String(100), unique=True, nullable=False)
    config_value = Column(Text, nullable=False)
    config_type = Column(String(20), nullable=False)
    description = Column(Text)
    category = Column(String(50))
    is_active = Column(Boolean, default=True)
    created_at = Column(DateTime)
    updated_at = Column(DateTime)
    created_by = Column(String(100))


class TradingPair(Base):
    __tablename__ = "trading_pairs"
    id = Column(Integer, primary_key=True)
    symbol = Column(String(20), unique=True, nullable=False)
    base_currency = Column(String(10), nullable=False)
    quote_currency = Column(String(10), nullable=False)
    is_active = Column(Boolean, default=True)
    initial_balance = Column(Numeric(20, 8), nullable=False)
    trade_size_usd = Column(Numeric(20, 8), nullable=False)
    max_position_percent = Column(Numeric(5, 2))
    min_trade_amount = Column(Numeric(20, 8))
    max_trade_amount = Column(Numeric(20, 8))
    price_precision = Column(Integer)
    amount_precision = Column(Integer)
    created_at = Column(DateTime)
    updated_at = Column(DateTime)


class Strategy(Base):
    __tablename__ = "strategies"
    id = Column(Integer, primary_key=True)
    strategy_name = Column(String(50), unique=True, nullable=False)
    display_name = Column(String(100), nullable=False)
    description = Column(Text)
    strategy_type = Column(String(50))
    is_active = Column(Boolean, default=True)
    created_at = Column(DateTime)


class PairStrategyConfig(Base):
    __tablename__ = "pair_strategy_config"
    id = Column(Integer, primary_key=True)
    pair_id = Column(Integer, ForeignKey("trading_pairs.id"))
    strategy_id = Column(Integer, ForeignKey("strategies.id"))
    is_enabled = Column(Boolean, default=True)
    weight = Column(Numeric(3, 2))
    parameters = Column(JSON)
    created_at = Column(DateTime)
    updated_at = Column(DateTime)


class PairRiskConfig(Base):
    __tablename__ = "pair_risk_config"
    id = Column(Integer, primary_key=True)
    pair_id = Column(Integer, ForeignKey("trading_pairs.id"), unique=True)
    stop_loss_percent = Column(Numeric(5, 2))
    take_profit_percent = Column(Numeric(5, 2))
    max_daily_trades = Column(Integer)
    max_daily_loss_percent = Column(Numeric(5, 2))
    trailing_stop_enabled = Column(Boolean)
    trailing_stop_percent = Column(Numeric(5, 2))
    max_drawdown_percent = Column(Numeric(5, 2))
    position_sizing_method = Column(String(20))
    volatility_lookback_days = Column(Integer)
    created_at = Column(DateTime)
    updated_at = Column(DateTime)


# The bots' own writes, as they send them.
UPSERT_SETTING = text(
    "INSERT INTO system_config (config_key, config_value, config_type, description, category) "
    "VALUES (:key, :value, :type, :description, :category) "
    "ON CONFLICT (config_key) DO UPDATE SET config_value = EXCLUDED.config_value, "
    "config_type = EXCLUDED.config_type, "
    "description = COALESCE(EXCLUDED.description, system_config.description), "
    "category = COALESCE(EXCLUDED.category, system_config.category), "
    "updated_at = CURRENT_TIMESTAMP"
)
UPDATE_STRATEGY = text(
    "UPDATE pair_strategy_config SET parameters = :parameters, weight = :weight, is_enabled = :enabled, "
    "updated_at = CURRENT_TIMESTAMP FROM strategies s, trading_pairs tp "
    "WHERE pair_strategy_config.strategy_id = s.id AND pair_strategy_config.pair_id = tp.id "
    "AND tp.symbol = :symbol AND s.strategy_name = :strategy"
)
UPDATE_RISK = text(
    "UPDATE pair_risk_config SET stop_loss_percent = :stop_loss, take_profit_percent = :take_profit, "
    "updated_at = CURRENT_TIMESTAMP FROM trading_pairs tp "
    "WHERE pair_risk_config.pair_id = tp.id AND tp.symbol = :symbol"
)


@pytest.fixture(scope="module")
def session():
    """One session for the whole bot, as such bots keep it."""
    engine = create_engine(DATABASE_URL)
    with Session(engine) as s:
        yield s
    engine.dispose()


def api(path):
    request = urllib.request.Request(BASE_URL + path, headers={"Authorization": f"Bearer {API_TOKEN}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def eventually(check, seconds=3.0):
    """The server hears a committed change within milliseconds; allow for a slow machine."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def test_the_bot_reads_every_table_by_its_column_names(session):
    settings = {s.config_key: s for s in session.query(SystemConfig).filter_by(is_active=True)}
    assert settings["paper_trading"].config_type == "boolean"
    assert settings["paper_trading"].config_value in ("true", "false")
    assert settings["check_interval"].config_type == "integer"
    btc = session.query(TradingPair).filter_by(symbol="BTC/USDT").one()
    assert (btc.base_currency, btc.quote_currency) == ("BTC", "USDT")
    assert isinstance(btc.initial_balance, Decimal)
    names = {s.strategy_name for s in session.query(Strategy)}
    assert {"sma_crossover", "rsi", "macd"} <= names
    rows = session.query(PairStrategyConfig).filter_by(pair_id=btc.id).all()
    assert rows, "BTC/USDT has strategy rows"
    for row in rows:
        for value in row.parameters.values():
            assert isinstance(value, (int, float)), f"parameters are JSON numbers: {row.parameters}"
    risk = session.query(PairRiskConfig).filter_by(pair_id=btc.id).one()
    assert risk.stop_loss_percent > 0
    session.commit()


def test_the_bots_upsert_of_a_setting_is_seen_by_the_server_at_once(session):
    before = session.query(SystemConfig).filter_by(config_key="max_concurrent_positions").one().description
    session.execute(UPSERT_SETTING, {"key": "max_concurrent_positions", "value": "7", "type": "integer",
                                     "description": None, "category": None})
    session.commit()
    assert eventually(lambda: api("/api/v1/portfolio")["max_concurrent_positions"] == 7)
    after = session.query(SystemConfig).filter_by(config_key="max_concurrent_positions").one()
    assert after.description == before, "a NULL description keeps the stored one"
    # A new setting, without description or category, as a bot adds one.
    session.execute(UPSERT_SETTING, {"key": "bot_heartbeat_seconds", "value": "30", "type": "integer",
                                     "description": None, "category": None})
    session.commit()
    added = session.query(SystemConfig).filter_by(config_key="bot_heartbeat_seconds").one()
    assert (added.config_value, added.created_by) == ("30", "system")


def test_a_pair_the_bot_inserts_appears_with_default_risk(session):
    session.add(TradingPair(symbol="ADA/USDT", base_currency="ADA", quote_currency="USDT", is_active=True,
                            initial_balance=Decimal("500"), trade_size_usd=Decimal("50"),
                            max_position_percent=Decimal("10"), min_trade_amount=Decimal("1"),
                            max_trade_amount=Decimal("100000"), price_precision=4, amount_precision=1))
    session.commit()
    config = eventually(lambda: _pair_config("ADA%2FUSDT"))
    assert config, "the pair is served"
    assert config["risk"]["stop_loss_percent"] == "5"
    assert config["pair"]["symbol"] == "ADA/USDT"


def _pair_config(symbol):
    try:
        return api(f"/api/v1/pairs/{symbol}/config")
    except urllib.error.HTTPError:
        return None


def test_the_bots_strategy_and_risk_updates_are_seen_at_once(session):
    session.execute(UPDATE_RISK, {"stop_loss": Decimal("3.5"), "take_profit": Decimal("12"), "symbol": "ETH/USDT"})
    session.execute(UPDATE_STRATEGY, {"parameters": json.dumps({"rsi_period": 21, "overbought_threshold": 75,
                                                                 "oversold_threshold": 25}),
                                      "weight": Decimal("0.5"), "enabled": True, "symbol": "ETH/USDT",
                                      "strategy": "rsi"})
    session.commit()

    def seen():
        config = api("/api/v1/pairs/ETH%2FUSDT/config")
        rsi = [s for s in config["strategies"] if s["strategy"] == "rsi"]
        return (config["risk"]["stop_loss_percent"] == "3.5" and rsi
                and str(rsi[0]["parameters"]["rsi_period"]) == "21")

    assert eventually(seen)


def test_the_console_side_writes_are_what_the_bot_reads_next(session):
    env = dict(os.environ, DATABASE_URL=os.environ["E2E_DATABASE_URL"], RUST_LOG="warn")
    subprocess.run([BOTCONFIG_BIN, "set-config", "check_interval", "90"], env=env, check=True,
                   capture_output=True)
    subprocess.run([BOTCONFIG_BIN, "update-risk", "BTC/USDT", "--stop-loss", "4"], env=env, check=True,
                   capture_output=True)
    session.rollback()  # a new transaction sees what was committed since
    interval = session.query(SystemConfig).filter_by(config_key="check_interval").one()
    assert interval.config_value == "90"
    btc = session.query(TradingPair).filter_by(symbol="BTC/USDT").one()
    risk = session.query(PairRiskConfig).filter_by(pair_id=btc.id).one()
    assert risk.stop_loss_percent == Decimal("4")


def test_a_setting_the_bot_adds_through_its_model_gets_its_stamps(session):
    session.add(SystemConfig(config_key="bot_model_flag", config_value="false", config_type="boolean",
                             category="system", is_active=True))
    session.commit()
    added = session.query(SystemConfig).filter_by(config_key="bot_model_flag").one()
    assert added.created_by == "system" and added.created_at is not None


def test_under_its_own_role_the_bot_cannot_touch_the_history_and_is_recorded_truthfully(session):
    if not BOT_ROLE:
        pytest.skip("BOT_ROLE is not set: the bot runs as botconfig's own role")
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError
    session.rollback()
    session.execute(text("SELECT set_config('botconfig.actor', 'admin', true)"))
    session.execute(text("UPDATE system_config SET config_value = '77' WHERE config_key = 'check_interval'"))
    session.commit()
    for forbidden in ("SELECT count(*) FROM config_changes", "DELETE FROM config_changes",
                      "SELECT count(*) FROM users", "SELECT count(*) FROM api_tokens"):
        with pytest.raises(ProgrammingError):
            session.execute(text(forbidden))
        session.rollback()
    env = dict(os.environ, DATABASE_URL=os.environ["E2E_DATABASE_URL"], RUST_LOG="warn")
    out = subprocess.run([BOTCONFIG_BIN, "history", "--json", "--limit", "5"], env=env, check=True,
                         capture_output=True, text=True).stdout
    newest = json.loads(out)[0]
    assert newest["actor"] == f"sql:{BOT_ROLE}", newest
