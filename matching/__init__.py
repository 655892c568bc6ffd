"""Alert message -> runbook (pure functions over an in-memory index of the stored runbooks).

`matcher.match_alert(index, title)` is the entry point; `knowledge_base.LiveIndex` loads the index
from the runbook tables and keeps it in step with the docs monitor's changes.  The pieces:
`titles` (cleaning a title, the alert key), `names` (a runbook's name anywhere in a message),
`vocabulary` and `text` (words as both sides are compared), `index` (BM25F), `confidence` (the
fitted model that decides whether to trust the best runbook).
"""
