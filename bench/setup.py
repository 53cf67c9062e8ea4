"""Seconds from a fresh clone to `make run`'s first answer and to `make test`'s first test.

Each figure is taken in a new clone of a commit, as a new user would type the command, with
package caches of the run's own (uv's, pip's and npm's, pointed at by UV_CACHE_DIR, PIP_CACHE_DIR
and npm_config_cache): *cold* starts them empty, so everything is downloaded from PyPI and npm;
*warm* is a second fresh clone that finds what the cold one left (one set of caches for
`make run`, another for `make test`, so each cold figure starts from nothing). Other caches of
the machine stay as they are (Debian packages; pip's find-links and local indexes, where pip.conf
names them). `make test` is stopped once pytest starts its first test file: what is timed is set-up.

    python3 bench/setup.py                      # this checkout's HEAD
    python3 bench/setup.py --source /other/clone --rev main
    python3 bench/setup.py --targets run        # `make run` only (cold, then warm)
"""

import argparse
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_TEST = re.compile(r"^tests/\S+\.py ")


def run_until(
    command: list[str],
    cwd: Path,
    env: dict[str, str],
    done: Callable[[str], bool],
    log: Path,
    timeout: float,
) -> float:
    """Seconds until `done` holds (checked on each output line, and every 0.2 s), then stop."""
    start = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in process.stdout or ():
            lines.put(line)

    threading.Thread(target=pump).start()
    try:
        with log.open("w") as sink:
            while time.monotonic() - start < timeout:
                try:
                    line = lines.get(timeout=0.2)
                    sink.write(f"{time.monotonic() - start:7.1f} {line}")
                except queue.Empty:
                    line = ""
                if not line and process.poll() is not None and lines.empty():
                    raise RuntimeError(f"{' '.join(command)} stopped first: see {log}")
                if done(line):
                    return time.monotonic() - start
        raise TimeoutError(f"{' '.join(command)}: nothing after {timeout:.0f} s: see {log}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait()


def answers(port: int) -> Callable[[str], bool]:
    def check(_line: str) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    return check


def measure(args: argparse.Namespace, scratch: Path, label: str) -> None:
    for target in args.targets:
        caches = scratch / f"caches-{target}"
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        env.update(
            UV_CACHE_DIR=str(caches / "uv"),
            PIP_CACHE_DIR=str(caches / "pip"),
            npm_config_cache=str(caches / "npm"),
        )
        clone = scratch / f"{label}-{target}"
        subprocess.run(["git", "clone", "-q", str(args.source), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", args.rev], check=True)
        log = scratch / f"{label}-{target}.log"
        if target == "run":
            seconds = run_until(
                ["make", "run", f"PORT={args.port}"], clone, env, answers(args.port), log, 600
            )
            what = "make run, first answer"
        else:
            seconds = run_until(
                ["make", "test"], clone, env, lambda line: bool(FIRST_TEST.match(line)), log, 900
            )
            what = "make test, first test"
        print(f"{label:5} {what:24} {seconds:6.1f} s   ({log})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="a clone or worktree")
    parser.add_argument("--rev", default="HEAD", help="the commit to time")
    parser.add_argument("--port", type=int, default=8150, help="where `make run` listens")
    parser.add_argument(
        "--targets", nargs="+", choices=("run", "test"), default=["run", "test"], help="to time"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="eventlog-setup-"))
    rev = subprocess.run(
        ["git", "-C", str(args.source), "rev-parse", "--short", args.rev],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"{args.source} at {rev}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    for label in ("cold", "warm"):
        measure(args, scratch, label)
    print(f"load {os.getloadavg()[0]:.2f}; clones and logs in {scratch}", file=sys.stderr)


if __name__ == "__main__":
    main()
