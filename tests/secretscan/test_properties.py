"""Property tests: any key in any surrounding text is found and never survives redaction."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from apilab.secretscan import find_secrets, redact_text
from tests.secretscan.keys import AI_FORMATS

# Formats recognised by shape alone (the others need a provider name beside the value).
SHAPED = [f for f in AI_FORMATS
          if f.rule not in {"cohere-api-key", "mistral-api-key", "deepseek-api-key",
                            "deepgram-api-key", "assemblyai-api-key"}]
SEPARATORS = st.sampled_from([" ", "\n", "\t", '"', "'", "`", "=", ": ", "(", ")", ",", ";",
                              "\\n", "<", ">", "[", "]", "{", "}", "|", "\r\n"])
PROSE = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(fmt=st.sampled_from(SHAPED), seed=st.integers(0, 2**32), before=PROSE, after=PROSE,
       left=SEPARATORS, right=SEPARATORS)
def test_key_in_any_context_is_found_and_redacted(fmt, seed, before, after, left, right) -> None:  # type: ignore[no-untyped-def]
    key = fmt.make(random.Random(seed))
    text = f"{before}{left}{key}{right}{after}"
    clean, findings = redact_text(text)
    assert key not in clean
    at = text.index(key)
    # The finding covers the key (a Bedrock key's "=" padding may absorb a following "=").
    assert any(f.start == at and f.end >= at + len(key) for f in findings)
    assert fmt.rule in {f.rule for f in find_secrets(text)}


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_redact_text_is_identity_without_secrets_and_never_grows_secrets(text: str) -> None:
    clean, findings = redact_text(text)
    if not findings:
        assert clean == text
    for f in findings:
        assert text[f.start:f.end] not in clean or len(text[f.start:f.end]) < 8
