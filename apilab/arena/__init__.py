"""The rate-limit arena (Lab 3): retry strategies racing on a simulated clock.

Public surface::

    from apilab.arena import ArenaConfig, run_arena, STRATEGIES, TIERS, Tier, get_tier

    result = run_arena(ArenaConfig(tier=get_tier("tier-1"), clients=20, seed=7))
    result.to_dict()  # per-strategy timelines, the summary table and how to read them
    how_to_read(result)  # the sentences the page shows under the table
"""

from apilab.arena.reading import how_to_read
from apilab.arena.simulation import (
    DEFAULT_STRATEGIES,
    STRATEGIES,
    TIERS,
    ArenaConfig,
    ArenaResult,
    Strategy,
    StrategyResult,
    Tier,
    get_tier,
    run_arena,
    run_strategy,
    summary_rows,
)

__all__ = [
    "DEFAULT_STRATEGIES",
    "STRATEGIES",
    "TIERS",
    "ArenaConfig",
    "ArenaResult",
    "Strategy",
    "StrategyResult",
    "Tier",
    "get_tier",
    "how_to_read",
    "run_arena",
    "run_strategy",
    "summary_rows",
]
