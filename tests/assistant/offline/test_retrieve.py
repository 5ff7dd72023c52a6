"""Retrieval details: the meaning view's blend and the provider tiebreak."""

from __future__ import annotations

import pytest

from apilab.assistant.offline import semantic
from apilab.assistant.offline.index import Doc
from apilab.assistant.offline.retrieve import (
    PROVIDER_TIEBREAK,
    _provider_conflict,
    providers_named,
)


def _card(card_id: str) -> Doc:
    return Doc(key=f"card:{card_id}", kind="card", lab="rate-limits-cost", title="", text="")


def test_providers_are_named_in_learners_words() -> None:
    assert providers_named("I tried Anthropic's prompt caching") == {"anthropic"}
    assert providers_named("claude-3-5-haiku and gpt-4o") == {"anthropic", "openai"}
    assert providers_named("my prompt cache never hits") == frozenset()


def test_a_card_about_another_provider_loses_a_near_tie() -> None:
    named = providers_named("Anthropic's prompt caching doesn't work")
    assert _provider_conflict(_card("rlc-openai-cache-not-hitting"), named) == PROVIDER_TIEBREAK
    assert _provider_conflict(_card("rlc-anthropic-cache-minimum"), named) == 0.0
    assert _provider_conflict(_card("rlc-prompt-caching"), named) == 0.0  # no provider
    # Nothing named: no preference; the named provider's own card: none either.
    assert _provider_conflict(_card("rlc-openai-cache-not-hitting"), frozenset()) == 0.0
    assert _provider_conflict(_card("rlc-openai-cache-not-hitting"),
                              providers_named("openai cache")) == 0.0


def test_the_weighted_view_discounts_words_every_card_uses() -> None:
    plain = semantic.embedder()
    if plain is None:
        pytest.skip("the wordllama wheel is not installed")
    corpus = [f"how do I keep my API key {topic} safe" for topic in
              ("in a browser", "in git", "on a server", "in a mobile app", "in CI")]
    corpus += ["rotate the API key after a leak", "what is a project-scoped API key"]
    weighted = plain.weighted(*plain.corpus_weighting(corpus))
    question, near, generic = weighted.embed(
        ["the export command did not set my variable", "set an environment variable with export",
         "what is a project-scoped API key"])
    # The shared words ("API key") no longer make an unrelated card the closest.
    assert float(question @ near) > float(question @ generic)
    blend = semantic.Blend(plain, weighted)
    rows = blend.rows(corpus)
    sims = blend.similarity(rows @ blend.embed([corpus[0]])[0])
    assert sims.shape == (len(corpus),) and abs(float(sims[0]) - 1.0) < 0.05


def test_two_cards_at_the_cap_are_ranked_by_strength_not_by_order() -> None:
    """Closeness stops at 1.0; below the cap nothing changes, above it the stronger wins."""
    from apilab.assistant.offline import OfflineTutor

    retriever = OfflineTutor().retriever
    own, _ = retriever.search("openai emailed me that my key leaked and was rotated",
                              "key-security")
    assert own[0].doc.card is not None and own[0].doc.card.id == "ks-leaked-key-email"
    assert [m.closeness for m in own[:2]] == [1.0, 1.0]
    assert own[0].strength > own[1].strength > 1.0
    assert all(m.strength == m.closeness for m in own if m.strength < 1.0)
    strengths = [m.strength for m in own if not m.hinted]
    assert strengths == sorted(strengths, reverse=True)
