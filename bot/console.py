"""The console transport (--console): stdin lines in, the bot's replies out; no Slack, no token.

A line is a JSON message event, or else the alert's text.  With --json each result is one JSON
object, which is what ../shared/matching-dev/evaluate.py and the benchmarks read.
"""
import json
import signal
import sys
import time
from typing import TextIO

from bot.handler import AlertHandler, Outcome
from bot.replies import render_for_console, reply_mrkdwn


def stop_reading_on_signals() -> None:
    """Ctrl-C and SIGTERM end the console at once (exit 130 and 143): it waits in a read of stdin, which
    a handler that only sets the stop event never ends (PEP 475 restarts the read); its claims are its own."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _end_console)


def _end_console(_signum, _frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM would land in the exit's own clean-up
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(143)


def read_console(handler: AlertHandler, as_json: bool, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        outcome = handler.handle(console_event(line.rstrip("\n"), number))
        print(json.dumps(console_result(line.rstrip("\n"), outcome), ensure_ascii=False) if as_json
              else console_text(outcome), file=stdout, flush=True)


def console_event(line: str, number: int) -> dict:
    """A stdin line as a message event: a JSON object is one, anything else is alert text."""
    event = None
    if line.lstrip().startswith("{"):
        try:
            event = json.loads(line)
        except ValueError:
            event = None
    if not isinstance(event, dict):
        event = {"text": line}
    original_ts = event.get("ts")
    ts = f"{time.time():.6f}"[:-3] + f"{number % 1000:03d}"  # unique per line and per run
    event = {"type": "message", **event, "channel": str(event.get("channel") or "console"), "ts": ts}
    if event.get("thread_ts") and event["thread_ts"] == original_ts:
        event["thread_ts"] = ts
    return event


def console_result(line: str, outcome: Outcome) -> dict:
    match = outcome.match
    return {
        "input": line, "is_alert": bool(outcome.is_alert and outcome.alert is not None),
        "matched": match.matched if match and match.found else None,
        "runbook_title": match.runbook_title if match and match.found else None,
        "url": match.url if match and match.found else None,
        "confidence": float(match.confidence) if match else 0.0,
        "alternatives": list(match.alternatives) if match else [],
        "reply": reply_mrkdwn(outcome.reply_blocks) if outcome.reply_ts else None,
    }


def console_text(outcome: Outcome) -> str:
    if outcome.reply_ts:
        return render_for_console(outcome.reply_text, outcome.reply_blocks) + "\n"
    return f"(no reply: {outcome.note})\n"
