"""The task engine: runs task chains (SPEC 8) against the `Llm` and `Tools` ports.

Pure: no database, no HTTP. Everything the engine needs from the world comes through
`runtime.taskengine.ports`.
"""
