"""Run the Procfile's processes in the foreground, each line prefixed with its name.

The local supervisor behind `make demo` and `make run` (honcho's job, with two
differences an on-call tool needs): a process that exits, say for a missing
setting, does not take the others down with it; and Ctrl-C stops every process
group it started, killing what is still there after a grace period.
"""
import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

GRACE_SECONDS = 10


def parse_procfile(text):
    """[(name, command)] from `name: command` lines; blank lines and # comments skipped."""
    processes = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes.append((name.strip(), command.strip()))
    return processes


def parse_env_file(text):
    """{KEY: value} from KEY=value lines (values may be quoted)."""
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip().strip("\"'")
    return env


class Supervisor:
    def __init__(self, processes, env, out=sys.stdout, first_ready=None):
        self.processes = processes
        self.env = env
        self.out = out
        self.width = max(len(name) for name, _ in processes)
        self.children = {}
        self.print_lock = threading.Lock()
        self.stopping = threading.Event()
        # The first process may have to be ready (stand-ins listening) before the rest start.
        self.first_ready = first_ready
        self.first_is_ready = threading.Event()

    def say(self, name, line):
        with self.print_lock:
            self.out.write(f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | {line}\n")
            self.out.flush()

    def start(self):
        for name, command in self.processes:
            child = subprocess.Popen(
                command, shell=True, env=self.env, start_new_session=True,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            self.children[name] = child
            self.say(name, f"started with pid {child.pid}")
            threading.Thread(target=self.relay, args=(name, child), daemon=True).start()
            if self.first_ready and len(self.children) == 1 and not self.wait_until_first_ready(child):
                return

    def wait_until_first_ready(self, child, seconds=120):
        deadline = time.monotonic() + seconds
        while not self.first_is_ready.wait(0.1):
            if child.poll() is not None or time.monotonic() > deadline or self.stopping.is_set():
                self.say("suite", f"{self.processes[0][0]} did not get ready; not starting the others")
                return False
        return True

    def relay(self, name, child):
        for raw in iter(child.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.say(name, line)
            if self.first_ready and self.first_ready in line:
                self.first_is_ready.set()
        code = child.wait()
        if not self.stopping.is_set():
            self.say(name, f"exited with code {code}; the other processes keep running")

    def running(self):
        return [name for name, child in self.children.items() if child.poll() is None]

    def stop(self):
        self.stopping.set()
        for name in self.running():
            self.signal_group(self.children[name], signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        for name in self.running():
            self.say(name, f"did not stop within {GRACE_SECONDS}s; killing it")
            self.signal_group(self.children[name], signal.SIGKILL)
        for child in self.children.values():
            child.wait()

    @staticmethod
    def signal_group(child, signum):
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="processes to run (default: every line of the Procfile)")
    parser.add_argument("--procfile", default="Procfile", type=Path)
    parser.add_argument("--skip", action="append", default=[], help="a process not to run (repeatable)")
    parser.add_argument("--first-ready", metavar="TEXT",
                        help="start the others only once the first process prints a line holding TEXT")
    parser.add_argument("--env-file", type=Path, help="KEY=value lines that override the environment")
    args = parser.parse_args(argv)
    processes = parse_procfile(args.procfile.read_text())
    if args.names:
        unknown = set(args.names) - {name for name, _ in processes}
        if unknown:
            parser.error(f"{', '.join(sorted(unknown))} is not in {args.procfile}")
        processes = [(name, command) for name, command in processes if name in args.names]
    processes = [(name, command) for name, command in processes if name not in args.skip]
    if not processes:
        parser.error(f"no process left to run from {args.procfile}")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if args.env_file:
        env.update(parse_env_file(args.env_file.read_text()))
    supervisor = Supervisor(processes, env, first_ready=args.first_ready)
    stop_requested = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop_requested.set())
    supervisor.start()
    parent = os.getppid()
    while supervisor.running() and not stop_requested.wait(0.2):
        if os.getppid() != parent:
            # Whoever started us (make, a terminal) is gone: nobody could press Ctrl-C any more.
            stop_requested.set()
    if stop_requested.is_set():
        supervisor.say("suite", "stopping every process")
    supervisor.stop()
    supervisor.say("suite", "all processes stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
