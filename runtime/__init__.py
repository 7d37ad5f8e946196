"""llm-runtime: self-hosted LLM backend orchestration and task-chain engine."""

__version__ = "0.1.0"
