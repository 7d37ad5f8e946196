"""The wire shapes clients and backends speak (OpenAI and Ollama), written once.

Pure: msgspec Structs, their decoding and encoding, SSE and NDJSON framing, id minting and the
token estimate. Imported by the drivers, the gateway, the task engine and the API alike.
"""
