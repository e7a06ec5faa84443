"""The outage rule the server and both clients apply (server: domain::risk::OutagePolicy)."""


def allows_trading(policy: str, age_seconds: float, grace_seconds: int, paper_trading: bool) -> bool:
    """Whether a reader whose configuration went unconfirmed ``age_seconds`` ago may still
    open positions on a pair with ``policy``: auto, fail_open or fail_closed."""
    if age_seconds <= grace_seconds:
        return True
    if policy == "fail_open":
        return True
    if policy == "fail_closed":
        return False
    return paper_trading  # auto: fail_closed when trading live
