"""The stop signal reaches a main thread that waits, whichever thread Linux hands the signal to.

Checked in a child process: the child installs its own signal handlers and is sent a real SIGTERM.
"""
import subprocess
import sys
import textwrap

from utils import PROJECT_DIR

# The SIGTERM is sent to a worker thread (pthread_kill), as Linux may do with a process's signal: the
# main thread, blocked in its wait, is not interrupted and must notice at its next wake.
CHILD = textwrap.dedent("""
    import signal, sys, threading, time
    import utils
    stopping = utils.stop_event() if sys.argv[1] == "stop_event" else threading.Event()
    if sys.argv[1] == "plain":
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    threading.Thread(target=lambda: (time.sleep(0.3), signal.pthread_kill(threading.get_ident(), signal.SIGTERM)),
                     daemon=True).start()
    started = time.monotonic()
    print("stopped" if stopping.wait(timeout=float(sys.argv[2])) else "timed-out", round(time.monotonic() - started, 1))
""")


def waited(kind, timeout):
    result = subprocess.run([sys.executable, "-c", CHILD, kind, str(timeout)], cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    outcome, seconds = result.stdout.split()
    return outcome, float(seconds)


def test_a_sigterm_handed_to_another_thread_ends_the_main_threads_wait_within_a_second_or_two():
    outcome, seconds = waited("stop_event", 30)
    assert outcome == "stopped" and seconds < 5


def test_a_plain_event_is_what_missed_it():
    # The case the StopEvent exists for: without its wakes the same wait sleeps its whole timeout.
    outcome, seconds = waited("plain", 3)
    assert (outcome, seconds) == ("timed-out", 3.0)
