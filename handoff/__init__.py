"""The weekly handoff mail: the on-call week, who sends it (runs and claims), where its numbers come
from, the report, the mail's composition, SMTP and sending.  `send_mail.py` reads the command line."""
