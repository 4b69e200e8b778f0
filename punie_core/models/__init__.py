"""LLM models: model strings, connections, config, managed and embedded model servers."""
