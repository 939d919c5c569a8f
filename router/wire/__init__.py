"""Each provider's chat wire format, translated to and from OpenAI chat completions.

OpenAI chat completions is the lingua franca of coding agents (OpenCode speaks it
through `@ai-sdk/openai-compatible`), so the routing endpoint speaks it to the agent and
translates, here, for providers that speak something else: Anthropic Messages
(`anthropic.py`) and Gemini `generateContent` (`gemini.py`), both ways, tool calls and
streams included. OpenAI-compatible providers are passed through (`openai.py`).
"""
