"""The engines a chat turn runs on: `local` (offline, honest) and `openai` (any
OpenAI-compatible endpoint), behind one protocol (`base.ChatEngine`)."""
