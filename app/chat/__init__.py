"""Conversations with agents: turns, their engines and tools, over every channel."""
