"""Retrieval details: the meaning view's blend and the provider tiebreak."""

from __future__ import annotations

import dataclasses

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
    assert providers_named("tool calls from my vLLM server") == {"vllm"}
    assert providers_named("qwen-plus on DashScope") == {"dashscope"}


def test_a_local_server_card_loses_a_near_tie_when_the_learner_names_another() -> None:
    named = providers_named("ollama returns an empty tool_calls list")
    assert _provider_conflict(_card("pp-vllm-tool-calling"), named) == PROVIDER_TIEBREAK
    assert _provider_conflict(_card("ab-llama-cpp-server"), named) == PROVIDER_TIEBREAK
    assert _provider_conflict(_card("pp-ollama-tool-calling"), named) == 0.0


def test_a_card_about_another_provider_loses_a_near_tie() -> None:
    named = providers_named("Anthropic's prompt caching doesn't work")
    assert _provider_conflict(_card("rlc-openai-cache-not-hitting"), named) == PROVIDER_TIEBREAK
    assert _provider_conflict(_card("rlc-anthropic-cache-minimum"), named) == 0.0
    assert _provider_conflict(_card("rlc-prompt-caching"), named) == 0.0  # no provider
    # Nothing named: read as OpenAI (the default), so its card is not set back; nor is a
    # named provider's own card. Another provider's card is (UNNAMED_PROVIDER_PENALTY).
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
    assert own[0].closeness == 1.0 and own[0].strength > own[1].strength
    from apilab.assistant.offline.index import Hit
    from apilab.assistant.offline.retrieve import Match

    strong = Match(Hit(_card("a"), 30.0, 0.9, 0.9, ()), semantic=0.9)
    stronger = Match(Hit(_card("b"), 30.0, 1.0, 1.0, ()), semantic=0.95)
    assert strong.closeness == stronger.closeness == 1.0
    assert stronger.strength > strong.strength > 1.0
    assert all(m.strength == m.closeness for m in own if m.strength < 1.0)
    orders = [m.order for m in own if not m.hinted]
    assert orders == sorted(orders, reverse=True)


def test_in_a_near_tie_the_card_sharing_the_learners_words_comes_first() -> None:
    """Meaning alone put "What is a token?" first; max_tokens shares twice the words."""
    from apilab.assistant.offline import OfflineTutor
    from tests.assistant._helpers import make_turn

    tutor = OfflineTutor()
    reply = tutor.compose(make_turn(
        tutor.course, "api-basics", "Is there any way limit token response?\n\nHi, I am "
        "wondering if there's a way to get response in a limited token like 200?\nThank you."))
    assert reply.meta["card"] == "ab-max-tokens"
    assert "ab-tokens-vs-words" in reply.meta["alternatives"]


def test_in_a_long_message_the_card_sharing_more_words_wins_a_near_tie() -> None:
    """Every card covers a small share of a long message's words; relative to the best
    word match on its side, the share still tells cards apart (``Match.word_share``)."""
    from apilab.assistant.offline.index import Hit
    from apilab.assistant.offline.retrieve import WORD_SHARE_WEIGHT, Match

    few_words = Match(Hit(_card("rlc-quota-vs-rate-limit"), 39.0, 0.10, 0.05, ()),
                      semantic=0.62, word_share=39.0 / 65.0)
    many_words = Match(Hit(_card("rlc-failed-requests-billed"), 65.0, 0.12, 0.05, ()),
                       semantic=0.60, word_share=1.0)
    # On meaning alone the card that shares fewer words would win.
    assert dataclasses.replace(few_words, word_share=1.0).strength > many_words.strength
    assert many_words.strength > few_words.strength
    assert few_words.strength == pytest.approx(
        dataclasses.replace(few_words, word_share=1.0).strength
        - WORD_SHARE_WEIGHT * (1 - 39.0 / 65.0))


def test_when_two_cards_are_close_the_other_one_follows_folded_and_whole() -> None:
    """The tutor cannot tell which of two close cards the learner meant: the reply gives the
    best one, then the other one whole in a folded section named by its question."""
    from apilab.assistant.folds import FOLD, without_folds
    from apilab.assistant.offline import OfflineTutor
    from apilab.evals.tutor import tutor_turn

    tutor = OfflineTutor()
    composed = tutor.compose(tutor_turn(
        tutor, "api-basics", "streaming works in curl but my Flask endpoint returns the whole "
                             "answer at once at the end, why is it not streaming?"))
    # Which of the streaming cards leads moves with the content; one of the two leads and
    # the other follows folded.
    pair = {composed.meta["card"], *composed.meta["alternatives"]}
    assert "ab-flask-streaming" in pair and composed.meta["alternatives"]
    other = next(c for c in tutor.course.cards if c.id == composed.meta["alternatives"][0])
    assert f"{FOLD} If you meant \u201c{other.questions[0]}\u201d" in composed.text
    assert other.answer.strip() in composed.text
    # Unfolded, the reply is the best card's answer and the Next line, nothing of the other.
    assert other.answer.strip() not in without_folds(composed.text)
    assert without_folds(composed.text).rstrip().splitlines()[-1].startswith("**Next:**")


def test_a_clear_answer_gets_nothing_folded_under_it() -> None:
    """Closeness stops at 1.0: a best card far ahead by strength is not a near tie, so a
    starter question is answered by one card alone."""
    from apilab.assistant.folds import FOLD
    from apilab.assistant.offline import OfflineTutor
    from apilab.evals.tutor import tutor_turn

    tutor = OfflineTutor()
    composed = tutor.compose(tutor_turn(
        tutor, "production-prompts", "How do I get JSON back that my code can parse reliably?"))
    assert composed.meta["card"] == "pp-json-reliably"
    assert FOLD not in composed.text and composed.meta["alternatives"] == []


def test_the_projected_meaning_view_ranks_like_the_full_one() -> None:
    """Rows and queries are projected onto half the dimensions to halve the product's cost;
    the documents a question is closest to must stay the same ones."""
    import numpy as np

    from apilab.assistant.offline import OfflineTutor
    from apilab.assistant.offline.retrieve import _cached_vectors, _phrasings, _texts_key

    retriever = OfflineTutor().retriever
    if retriever._embedder is None or retriever._projection is None:
        pytest.skip("the wordllama wheel is not installed")
    texts = [t for doc in retriever.index.docs for t in _phrasings(doc)]
    full = _cached_vectors(retriever._embedder, texts, _texts_key(texts))
    assert retriever._vectors is not None
    assert retriever._vectors.shape[1] * 2 == full.shape[1]
    questions = ["how do I stream a reply", "where should my API key live in a React app",
                 "why do I get 429 when I'm under my limits", "make the model return JSON",
                 "what does finish_reason length mean", "how much will 10k requests cost"]
    overlap = []
    for query in retriever._embedder.embed(questions):
        exact = set(np.argsort(full @ query)[::-1][:10])
        approx = set(np.argsort(retriever._vectors @ (query @ retriever._projection))[::-1][:10])
        overlap.append(len(exact & approx))
    assert min(overlap) >= 7 and sum(overlap) >= 0.85 * 10 * len(questions), overlap


def test_a_card_about_one_provider_loses_to_a_general_one_when_none_is_named(real_tutor) -> None:  # type: ignore[no-untyped-def]
    """QA: "what is least privilege for api keys" got the xAI card and a temperature
    question the Gemini 3 card, for learners who never named either provider."""
    from apilab.assistant.offline.retrieve import providers_about
    from tests.assistant._helpers import make_turn

    assert providers_about("card:pp-claude-temperature-top-p") == {"anthropic"}
    for lab, message, not_card in (
            ("key-security", "what is least privilege for api keys", "ks-xai-key-acls"),
            ("production-prompts", "what's temperature and should i set it to 0 for this",
             "pp-gemini-temperature")):
        reply = real_tutor.compose(make_turn(real_tutor.course, lab, message))
        assert reply.meta["card"] != not_card, message
        assert not any(p in reply.meta["card"] for p in ("xai", "gemini", "claude")), message
    # Named anywhere in the message, the provider's own card still wins.
    reply = real_tutor.compose(make_turn(real_tutor.course, "production-prompts",
                                         "what temperature should I use with gemini 3?"))
    assert reply.meta["card"] == "pp-gemini-temperature"
