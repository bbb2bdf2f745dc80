"""Run a command and write its own peak resident memory to a file.

Why a wrapper: Linux records, at exec, the memory high-water mark of the process that forked
the child -- so a command started straight from a large test process (pytest after torch,
Dask, a browser...) reports the test process's size, not its own. This wrapper is a fresh,
small interpreter; the command it starts inherits only that, so ``os.wait4`` gives the
command's own figure. Signals (SIGINT, SIGTERM) are passed on; the exit status is the
command's.

    python measure_rss.py RSS_FILE COMMAND ARGS...
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def main() -> int:
    rss_file, command = sys.argv[1], sys.argv[2:]
    child = subprocess.Popen(command)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    while True:
        try:
            _, status, usage = os.wait4(child.pid, 0)
            break
        except InterruptedError:  # a forwarded signal interrupted the wait
            continue
    with open(rss_file, "w") as f:
        f.write(str(usage.ru_maxrss * 1024))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
