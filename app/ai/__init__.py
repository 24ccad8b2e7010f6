"""AI features of Pixely: text analytics engines (the offline one lives in `app.ai.local`)."""
