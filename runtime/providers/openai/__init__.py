"""The OpenAI-compatible driver (`/v1/*`), used for OpenAI, vLLM and any compatible server."""
