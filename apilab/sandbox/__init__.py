"""The sandbox provider: a local OpenAI- and Anthropic-compatible API (see docs/sandbox.md).

Modules, from the wire inwards:

    app.py            create_sandbox_app(settings, db): the ASGI app (mounted at /sandbox)
    openai_api.py     POST /v1/chat/completions, GET /v1/models(/{id})
    openai_request.py validation of chat-completions bodies (OpenAI's 400s)
    responses_api.py  POST /v1/responses, GET/DELETE /v1/responses/{id}(/input_items)
    responses_request.py / responses_stream.py / responses_store.py
                      its validation, typed event stream, and stored responses
    anthropic_api.py  POST /v1/messages, /v1/messages/count_tokens, models (Anthropic shape)
    anthropic_request.py validation of Messages bodies and anthropic-version
    admin.py          /admin: keys, usage, chaos, limits (Bearer APILAB_ADMIN_TOKEN or loopback)
    service.py        the shared pipeline: key, model, cap, limits, chaos, billing, audit
    errors.py         error bodies and statuses in each provider's shape
    sse.py            SSE framing and a strict parser; streaming.py: the streamed response
    generator.py      deterministic text, schema-valid JSON and tool arguments
    catalogue.py      models, token counts and prices (from apilab.pricing), output caps
                      and snapshots (models.yaml)
    keys.py           create/list/revoke/rotate/usage, ensure_lab_key
    limits.py         RPM/TPM token buckets (in process or Redis)
    chaos.py          seeded fault injection, set_chaos
    caching.py        prompt-caching semantics
    config.py         tiers and chaos profiles as data (presets.yaml)
    state.py          per-database run-time state shared by all of the above

The package never imports ``apilab.web`` or ``apilab.cli``. Importing it is cheap: the
tokenizer and price table load on the first request.
"""
