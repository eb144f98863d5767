"""Outside systems: Fortnox and Visma eAccounting (F28, F29) and company registries (F3).

HTTP clients, OAuth2 token handling, rate limits, error translation and the pure customer
mapping live here; the rules that decide what to send and what to apply live in
`app.services.accounting_sync` and `app.services.integration_connections`.
"""
