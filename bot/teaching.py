"""The admin's side of what the team taught the bot: `slack_bot.py --taught` lists it, `--forget KEY`
undoes it for one alert key (the feedback stays stored, marked forgotten, with who and when)."""
import argparse
import os

from bot.feedback_store import forget_lessons
from database.outage import Database
from matching.lessons import taught_alerts


def run_lessons(args: argparse.Namespace, database: Database) -> int:
    """--taught and --forget: the team's lessons, read or undone, with no Slack connection."""
    if args.forget is not None:
        key = " ".join(args.forget.split()).lower()
        undone = database.run(lambda conn: forget_lessons(conn, key, os.environ.get("USER") or "admin"))
        print(f"Forgot {undone} piece(s) of feedback for {key!r}." if undone else
              f"Nothing was taught for {key!r}; `--taught` lists the alert keys that have lessons.")
        return 0 if undone else 1
    taught = database.run(taught_alerts)
    if not taught:
        print("Nothing taught yet: the buttons on the bot's replies teach it.")
    for lesson in taught:
        said = "no runbook exists" if lesson["no_runbook"] else (f"answer with {lesson['answer']}"
                                                                 if lesson["answer"] else "match afresh")
        by = f" (by @{lesson['taught_by']} on {lesson['taught_at']:%Y-%m-%d})" if lesson["taught_by"] else ""
        rejected = f"; never {', '.join(lesson['rejected'])}" if lesson["rejected"] else ""
        print(f"{lesson['title_key']}: {said}{by}{rejected}")
    return 0
