"""The Slack bot: transports (Socket Mode, RTM, the console), catch-up, message recognition, the
handler, reply claims and replies.  `slack_bot.py` reads the command line and wires these together."""
