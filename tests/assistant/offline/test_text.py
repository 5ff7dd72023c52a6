"""Tokens, stemming, synonyms and typo correction for learner phrasings."""

from __future__ import annotations

from apilab.assistant.offline.text import content_terms, correct, expand, stem, tokenize


def test_tokenize_keeps_api_identifiers_and_their_parts() -> None:
    tokens = tokenize("finish_reason: length on gpt-4o-mini, HTTP 429")
    assert "finish_reason" in tokens and "finish" in tokens and "reason" in tokens
    assert "gpt-4o-mini" in tokens and "mini" in tokens
    assert "429" in tokens


def test_stem_merges_inflections() -> None:
    assert stem("retries") == stem("retry")
    assert stem("streaming") == stem("streams") == stem("stream")
    assert stem("committed") == stem("commit")
    assert stem("caching") == stem("cache")
    assert stem("leaked") == stem("leaks") == "leak"


def test_content_terms_drop_filler_and_small_numbers() -> None:
    terms = content_terms("Hey, can you please tell me what 2 + 2 is and what a 429 means?")
    assert terms == ["429"]


def test_synonyms_bridge_learner_words_to_course_words() -> None:
    extra, by_term = expand("why does my bot forget things", content_terms("forget"))
    assert "stateless" in extra and "history" in extra
    assert "stateless" in by_term[stem("forget")]
    extra, _ = expand("my reply got cut off", [])
    assert "length" in extra and "max_tokens" in extra


def test_typo_correction_needs_a_close_course_word() -> None:
    vocab = {"j": ["jitter", "json"], "c": ["context", "count"]}
    assert correct("jiter", vocab) == "jitter"
    assert correct("contxt", vocab) == "context"
    assert correct("pizza", vocab) is None
    assert correct("jso", vocab) is None  # too short to guess safely


def test_tokenize_spells_out_names_made_of_symbols() -> None:
    assert "csharp" in tokenize("how many retries does the C# openai client do?")
    assert "dotnet" in tokenize("retries in the .NET SDK")
    assert "cplusplus" in tokenize("calling it from C++")
    assert "asp.net" in tokenize("an ASP.NET app")  # a name with a dot inside stays whole
    assert "c" not in tokenize("C# client")
