"""Observability: the per-request record, operation records, metrics, tracing and log format.

Imports nothing of ours, so every layer may report into it; the HTTP side (request ids, the
access log line) is `runtime.api.observe`, persistence and queries are `runtime.activity`.
"""
