"""Run a command, and take its whole process group down when the flow process dies.

    python -I flows/watchdog.py FD -- COMMAND [ARGS...]

``flows.stage_task.run_command`` starts this script as the leader of a new process group (the
stage's: ``dvc repro``, the stage's own ``judgeops`` command and whatever that starts), holding
FD, the read end of a pipe whose write end only the flow process holds. The kernel closes that
write end when the flow process dies, however it dies (SIGKILL included): the read returns EOF,
and the watchdog tears the group down. It does the same on SIGTERM (the flow's timeout, cancel
or Ctrl-C signals the whole group). Tearing down: SIGTERM to the group, so every process cleans
up (a stage ends its MLflow run KILLED); a wait until the group is empty or GRACE_S has passed;
then SIGKILL to whatever is left, the watchdog included.

Unlike a parent-death signal (prctl PR_SET_PDEATHSIG), the pipe reaches grandchildren, and does
not fire when merely the thread that started the child ends. Stdlib only: it starts in a few ms.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

GRACE_S = float(os.environ.get("JUDGEOPS_KILL_GRACE_S", "10"))


class Teardown(Exception):
    pass


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: watchdog.py FD -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    fd = int(argv[1])
    tearing_down = threading.Event()

    def on_sigterm(signum, frame):
        raise Teardown()

    signal.signal(signal.SIGTERM, on_sigterm)
    child = None
    try:
        child = subprocess.Popen(argv[3:])

        def wait_child() -> None:  # the command's exit is the watchdog's, unless a teardown has begun
            code = child.wait()
            if not tearing_down.is_set():
                os._exit(code if code >= 0 else 128 - code)

        threading.Thread(target=wait_child, daemon=True).start()
        while os.read(fd, 64):  # the flow never writes; EOF means it is gone
            pass
    except Teardown:
        pass
    except OSError as exc:
        if child is None:
            print(f"watchdog: cannot start {argv[3]}: {exc}", file=sys.stderr)
            return 127
    tearing_down.set()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    teardown(child)
    return 143


def teardown(child: subprocess.Popen | None) -> None:
    group = os.getpgid(0)
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and (alive(child) or others_in_group(group)):
        time.sleep(0.05)
    if alive(child) or others_in_group(group):
        os.killpg(group, signal.SIGKILL)


def alive(child: subprocess.Popen | None) -> bool:
    return child is not None and child.poll() is None


def others_in_group(group: int) -> bool:
    """Whether any live process besides this one is in ``group`` (Linux /proc; elsewhere False,
    so only the direct child is waited for)."""
    me = os.getpid()
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return False
    for pid in pids:
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[0] != b"Z" and int(fields[2]) == group:
            return True
    return False


if __name__ == "__main__":
    sys.exit(main(sys.argv))
