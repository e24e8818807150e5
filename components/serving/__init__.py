"""`judgeops serve`: a local judge behind an OpenAI-compatible HTTP API on 127.0.0.1, so anything that
speaks that API -- our own ``openai`` judge backend included -- can use it."""
