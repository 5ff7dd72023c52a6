"""How to read one arena run: plain sentences computed from its results.

``how_to_read(result)`` turns an ``ArenaResult`` into a few sentences the page shows
under the table: what the limit allows at best, then the comparisons the lesson is
about, each with what it cost (wasted calls, calls sent before the server's
Retry-After) and what it bought (time to finish all work): hammering vs backoff,
the herd at Retry-After without jitter, backoff with vs without jitter. Every number
comes from the run, so the reading never claims what the run did not show.

This module only reads results; it never runs the simulation or touches the web.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apilab.arena.simulation import ArenaResult

__all__ = ["floor_s", "how_to_read"]


def floor_s(result: ArenaResult) -> float:
    """About how long the tier needs for this work whatever the strategy, in seconds.

    The first requests go at once (a full bucket), the rest at the refill rate of the
    tighter limit. Unused ``max_tokens`` handed back on completion can make the token
    limit a little looser than this, so it is an estimate, not a bound.
    """
    cfg = result.config
    total = cfg.clients * cfg.requests_per_client
    reserve = cfg.input_tokens + cfg.max_tokens
    per_minute = min(float(cfg.tier.rpm), cfg.tier.tpm / reserve)
    burst = min(cfg.tier.rpm, cfg.tier.tpm // reserve)
    return max(0.0, (total - burst) * 60.0 / per_minute)


def _secs(value: float) -> str:
    return f"{value / 60:.1f} min" if value >= 120 else f"{value:.0f} s"


def how_to_read(result: ArenaResult) -> list[str]:
    """Sentences that read this run: the limit's pace, then the comparisons it shows."""
    cfg = result.config
    total = cfg.clients * cfg.requests_per_client
    reserve = cfg.input_tokens + cfg.max_tokens
    per_minute = min(float(cfg.tier.rpm), cfg.tier.tpm / reserve)
    burst = "at one moment" if cfg.start_spread_s == 0 else f"within {cfg.start_spread_s:g} s"
    lines = [
        f"{cfg.clients} clients start {burst} with {total:,} requests to make. The tier lets "
        f"about {per_minute:,.0f} requests a minute through (each reserves {reserve:,} "
        f"tokens), so this work needs about {_secs(floor_s(result))} whatever the strategy: "
        "retrying harder cannot beat the limit, it can only waste calls.",
    ]
    by = {r.strategy: r for r in result.results}
    ignored = [r for r in result.results if r.ignored_retry_after]
    honoured = [r for r in result.results if not r.ignored_retry_after and r.wasted]
    if ignored and honoured:
        lines.append(
            f"{' and '.join(r.label for r in honoured)} never sent a request before the "
            "server's Retry-After had passed; "
            + "; ".join(f"{r.label.lower()} sent {r.ignored_retry_after:,}" for r in ignored)
            + ": calls the server had already said would fail.")
    jitter = by.get("jitter")
    if jitter is not None and jitter.finish_s is not None:
        for name in ("immediate", "fixed", "retry_after"):
            other = by.get(name)
            if other is None or other.finish_s is None or other.wasted <= jitter.wasted:
                continue
            ratio = other.wasted / max(1, jitter.wasted)
            gain = jitter.finish_s - other.finish_s
            when = (f"finished {_secs(gain)} sooner" if gain >= 1
                    else "finished no sooner" if gain > -1
                    else f"finished {_secs(-gain)} later")
            lines.append(f"{other.label} {when} than exponential backoff with jitter, at the "
                         f"price of {ratio:,.1f} times as many wasted calls.")
        herd = by.get("retry_after")
        if herd is not None and herd.wasted > jitter.wasted:
            lines.append(
                "Waiting exactly Retry-After is the thundering herd: clients refused together "
                "are all told the same time and come back together, so each free slot goes to "
                "one of them and the rest are refused again. Jitter spreads them out; its "
                "timeline has far fewer red bars.")
        plain = by.get("exponential")
        if plain is not None and plain.finish_s is not None and plain.finish_s > jitter.finish_s:
            later = _secs(plain.finish_s - jitter.finish_s)
            lines.append(
                f"Exponential backoff without jitter finished {later} later than with jitter: "
                "clients that failed together sleep together, doubling their wait while the "
                "limit refills unused, and it does not look at Retry-After.")
    lines.append(
        "In this arena a refused request costs the server nothing. On OpenAI's API "
        "unsuccessful requests count toward your per-minute limit (OpenAI Help Center, "
        "\u201cHow can I solve 429: Too Many Requests errors?\u201d), so on a real API the "
        "wasted calls also push your own work later.")
    return lines
