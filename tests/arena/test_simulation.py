"""The arena simulation: determinism, limits respected, strategy contrasts, bad input."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apilab.arena import (
    STRATEGIES,
    TIERS,
    ArenaConfig,
    Tier,
    get_tier,
    how_to_read,
    run_arena,
    run_strategy,
    summary_rows,
)
from apilab.errors import InvalidInputError, NotFoundError


def _admissions(config: ArenaConfig, strategy: str) -> list[float]:
    """Times at which requests were admitted (sent and not rejected)."""
    result = run_strategy(config, strategy)
    rejected = set(result._times["rate_limited"])
    return [t for t in result._times["requests"] if t not in rejected]


def test_same_seed_gives_identical_results() -> None:
    config = ArenaConfig(seed=42)
    assert run_arena(config).to_dict() == run_arena(config).to_dict()


def test_different_seeds_give_different_runs() -> None:
    first = run_arena(ArenaConfig(seed=1)).to_dict()
    second = run_arena(ArenaConfig(seed=2)).to_dict()
    assert first["results"] != second["results"]


def test_every_request_eventually_succeeds_when_the_horizon_allows() -> None:
    config = ArenaConfig(clients=20, requests_per_client=5)
    for result in run_arena(config).results:
        assert result.successes == 100
        assert result.unfinished == 0
        assert result.finish_s is not None
        assert result.requests == result.successes + result.rate_limited


def test_unfinished_work_is_reported_not_hidden() -> None:
    config = ArenaConfig(tier=get_tier("free"), horizon_s=60.0, strategies=("jitter",))
    (result,) = run_arena(config).results
    assert result.finish_s is None
    assert result.unfinished > 0
    assert result.successes + result.unfinished == 100


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_request_limit_is_never_exceeded(strategy: str) -> None:
    # A bucket of capacity R refilled at R/min admits at most 2R in any 60 s window
    # (a full burst plus one minute of refill).
    tier = Tier("tiny", rpm=6, tpm=1_000_000)
    config = ArenaConfig(tier=tier, clients=10, requests_per_client=3, max_tokens=50)
    admitted = _admissions(config, strategy)
    assert len(admitted) == 30
    for i, start in enumerate(admitted):
        in_window = [t for t in admitted[i:] if t < start + 60.0]
        assert len(in_window) <= 2 * tier.rpm
    # After the initial burst the steady rate is rpm/60: 30 requests need >= (30-6)*10 s.
    assert admitted[-1] >= (30 - tier.rpm) * 60.0 / tier.rpm - 1e-6


def test_token_limit_bounds_throughput() -> None:
    # 1,000 tokens reserved per request against 30,000 TPM: ~30 admissions a minute.
    config = ArenaConfig(tier=TIERS["tier-1"], clients=20, requests_per_client=5)
    admitted = _admissions(config, "jitter")
    first_minute = [t for t in admitted if t < 60.0]
    # Burst of 30, plus a minute of refill (another 30,000), plus the unused output tokens
    # handed back on completion: each request keeps at least input + 30 % of max_tokens.
    net_per_request = config.input_tokens + 0.3 * config.max_tokens
    assert 30 <= len(first_minute) <= 2 * config.tier.tpm / net_per_request


def test_retrying_at_once_wastes_far_more_requests_than_backoff_with_jitter() -> None:
    rows = {r.strategy: r for r in run_arena(ArenaConfig(seed=3)).results}
    assert rows["immediate"].rate_limited > 10 * rows["jitter"].rate_limited
    assert rows["fixed"].rate_limited > rows["jitter"].rate_limited
    # The limit, not the strategy, sets the pace: finish times stay within 25 %.
    finishes = [r.finish_s for r in rows.values()]
    assert max(finishes) <= 1.25 * min(finishes)  # type: ignore[operator]


def test_honouring_retry_after_never_sends_a_request_the_server_said_would_fail() -> None:
    for seed in range(1, 4):
        rows = {r.strategy: r for r in run_arena(ArenaConfig(seed=seed)).results}
        assert rows["jitter"].ignored_retry_after == 0
        assert rows["retry_after"].ignored_retry_after == 0
        assert rows["immediate"].ignored_retry_after > 0


def test_wasted_calls_are_every_429() -> None:
    # Honest for every strategy: a refused request did no work, whatever its timing.
    for result in run_arena(ArenaConfig(seed=2)).results:
        assert result.wasted == result.rate_limited == result.requests - result.successes
        assert result.ignored_retry_after <= result.wasted


# The page's defaults (web/routes/arena.py): a burst of 50 clients x 2 requests against
# a 50 RPM / 50k TPM tier. The lesson the page reads out must hold for any seed.
LESSON = ArenaConfig(tier=get_tier("anthropic-tier-1"), clients=50, requests_per_client=2,
                     start_spread_s=0.0)


@pytest.mark.parametrize("seed", range(1, 9))
def test_the_default_burst_shows_the_lesson(seed: int) -> None:
    rows = {r.strategy: r for r in run_arena(dataclasses.replace(LESSON, seed=seed)).results}
    jitter, herd, plain = rows["jitter"], rows["retry_after"], rows["exponential"]
    assert all(r.unfinished == 0 for r in rows.values())
    # Without jitter, clients told the same Retry-After come back together: a herd that
    # wastes several times the calls jitter does (and hammering far more).
    assert herd.wasted > 3 * jitter.wasted
    assert rows["fixed"].wasted > 3 * jitter.wasted
    assert rows["immediate"].wasted > 15 * jitter.wasted
    # Honouring Retry-After: no call the server had said would fail.
    assert jitter.ignored_retry_after == herd.ignored_retry_after == 0
    assert plain.ignored_retry_after > 0 and rows["immediate"].ignored_retry_after > 0
    # No strategy beats the limit by much: 100 requests at ~50/min need about a minute.
    fastest = min(r.finish_s for r in rows.values())  # type: ignore[type-var]
    assert fastest >= 55
    # Jitter finishes within 25 % of the fastest (1.02-1.21 over seeds 1-20); backoff
    # without jitter finishes later.
    assert jitter.finish_s <= 1.25 * fastest  # type: ignore[operator]
    assert plain.finish_s > jitter.finish_s  # type: ignore[operator]


def test_how_to_read_states_what_the_run_measured() -> None:
    arena = run_arena(LESSON)
    rows = {r.strategy: r for r in arena.results}
    reading = how_to_read(arena)
    assert reading == arena.to_dict()["reading"]
    text = " ".join(reading)
    assert "50 clients start at one moment with 100 requests" in text
    assert "about 50 requests a minute" in text and "about 60 s" in text
    assert "thundering herd" in text
    ratio = rows["immediate"].wasted / rows["jitter"].wasted
    assert f"{ratio:,.1f} times as many wasted calls" in text
    assert f"retry at once sent {rows['immediate'].ignored_retry_after:,}" in text
    # With only one strategy there is nothing to compare, and nothing is claimed.
    alone = how_to_read(run_arena(dataclasses.replace(LESSON, strategies=("fixed",))))
    assert not any("herd" in line or "times as many" in line for line in alone)


def test_clients_can_start_in_one_burst() -> None:
    burst = run_strategy(dataclasses.replace(LESSON, clients=5), "jitter")
    assert burst._times["requests"][:5] == [0.0] * 5
    spread = run_strategy(dataclasses.replace(LESSON, clients=5, start_spread_s=3.0), "jitter")
    assert len(set(spread._times["requests"][:5])) == 5


def test_no_429_when_the_tier_has_headroom() -> None:
    for result in run_arena(ArenaConfig(tier=TIERS["tier-4"])).results:
        assert result.rate_limited == 0
        assert result.requests == 100


def test_timeline_bins_add_up_to_the_totals() -> None:
    arena = run_arena(ArenaConfig(bins=30))
    for result in arena.results:
        assert len(result.timeline) == 30
        assert sum(b["requests"] for b in result.timeline) == result.requests
        assert sum(b["rate_limited"] for b in result.timeline) == result.rate_limited
        assert sum(b["successes"] for b in result.timeline) == result.successes
    assert arena.bin_s * 30 == pytest.approx(arena.axis_end_s)
    assert arena.axis_end_s >= max(r.finish_s or 0 for r in arena.results)


def test_summary_rows_follow_the_chosen_strategies() -> None:
    arena = run_arena(ArenaConfig(strategies=("jitter", "immediate")))
    rows = summary_rows(arena)
    assert [r["strategy"] for r in rows] == [
        STRATEGIES["jitter"].label,
        STRATEGIES["immediate"].label,
    ]
    assert set(arena.to_dict()["strategies"]) == {"jitter", "immediate"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"clients": 0}, "clients"),
        ({"requests_per_client": 1000}, "requests_per_client"),
        ({"strategies": ()}, "at least one strategy"),
        ({"strategies": ("yolo",)}, "Unknown strategy 'yolo'"),
        ({"max_tokens": 40_000}, "could never be admitted"),
        ({"start_spread_s": -1}, "start_spread_s"),
    ],
)
def test_bad_config_is_refused_with_a_clear_message(change: dict, message: str) -> None:
    config = dataclasses.replace(ArenaConfig(), **change)
    with pytest.raises(InvalidInputError, match=message):
        run_arena(config)


def test_unknown_tier_names_the_choices() -> None:
    with pytest.raises(NotFoundError, match="tier-1"):
        get_tier("platinum")


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    clients=st.integers(1, 15),
    per_client=st.integers(1, 4),
    rpm=st.integers(2, 120),
    strategy=st.sampled_from(list(STRATEGIES)),
)
def test_any_small_arena_completes_and_is_reproducible(
    seed: int, clients: int, per_client: int, rpm: int, strategy: str
) -> None:
    config = ArenaConfig(
        tier=Tier("t", rpm=rpm, tpm=100_000),
        clients=clients,
        requests_per_client=per_client,
        seed=seed,
        strategies=(strategy,),
        horizon_s=86_400.0,
    )
    first = run_arena(config)
    (result,) = first.results
    assert result.successes == clients * per_client
    assert result.rate_limited == result.requests - result.successes
    assert first.to_dict() == run_arena(config).to_dict()


@pytest.mark.parametrize("strategy", ["immediate", "retry_after", "jitter"])
def test_every_decision_matches_the_sandboxs_own_limiter(strategy: str) -> None:
    # The arena inlines the bucket arithmetic for speed; replaying its decisions through
    # apilab.sandbox.limits proves it admits, refuses and hints exactly as the sandbox would.
    limits = pytest.importorskip("apilab.sandbox.limits")
    tier = TIERS["tier-1"]
    config = ArenaConfig(tier=tier, clients=12, requests_per_client=3, seed=5)
    trace: list[tuple] = []
    run_strategy(config, strategy, trace=trace)
    sandbox = limits.MemoryLimits(clock=lambda: 0.0)
    kinds = {kind for kind, *_ in trace}
    assert kinds == {"admit", "refuse", "settle"}
    for kind, now, *rest in trace:
        if kind == "settle":
            reserved, used = rest
            sandbox.settle("arena", tier.rpm, tier.tpm, reserved, used, now=now)
            continue
        decision = sandbox.admit("arena", tier.rpm, tier.tpm, rest[0], now=now)
        assert decision.allowed == (kind == "admit"), (kind, now)
        if kind == "refuse":
            assert decision.retry_after == pytest.approx(rest[1], rel=1e-9, abs=1e-9)
