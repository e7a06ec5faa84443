"""botconfig's client for Python bots: a live replica of the configuration in the bot's own
process. Switching a bot of this family is one line::

    from botconfig_client import cached_config_service   # was: from services.cached_config_service import ...

``cached_config_service`` is built on first use from the environment: ``BOTCONFIG_URL``,
``BOTCONFIG_TOKEN`` (a read token), and optionally ``BOTCONFIG_SNAPSHOT`` (a file kept with
the last known good configuration, to start from when the server is down) and
``BOTCONFIG_NAME`` (how the fleet page names this bot).
"""

import os
import threading

from .replica import LIBRARY, BotConfig, ConfigUnavailable, __version__

__all__ = ["BotConfig", "ConfigUnavailable", "LIBRARY", "__version__", "cached_config_service", "from_environment"]

_lock = threading.Lock()
_instance = None


def from_environment() -> BotConfig:
    """A BotConfig configured by BOTCONFIG_URL, BOTCONFIG_TOKEN and BOTCONFIG_SNAPSHOT."""
    missing = [name for name in ("BOTCONFIG_URL", "BOTCONFIG_TOKEN") if not os.environ.get(name)]
    if missing:
        raise ConfigUnavailable(
            f"set {' and '.join(missing)} (the server's URL and a read token) to use botconfig_client.cached_config_service")
    return BotConfig(os.environ["BOTCONFIG_URL"], os.environ["BOTCONFIG_TOKEN"],
                     snapshot_path=os.environ.get("BOTCONFIG_SNAPSHOT") or None)


def __getattr__(name: str):
    # The module-level instance, as the original module has one; built on first use so that
    # importing the package never needs a server.
    global _instance
    if name == "cached_config_service":
        with _lock:
            if _instance is None:
                _instance = from_environment()
        return _instance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
