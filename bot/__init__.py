"""The Slack bot: transports, catch-up, recognition, the handler, claims and replies (moving here from
`slack_bot.py` and `generate_documentation_db/` a piece at a time)."""
