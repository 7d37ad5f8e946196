"""The Ollama driver (`/api/*`)."""
