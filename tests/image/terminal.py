"""Types one query into an interactive program on a terminal, the way a user at `docker run -it`
does, and prints what the terminal showed. Runs inside a container of the image:

    python terminal.py PROGRAM [ARG...]

Environment: PROMPT (a regular expression: the program's prompt, which it waits for), QUERY
(the line typed at the prompt), ANSWER (a regular expression the reply must show) and QUIT (the
line that ends the program). Exits with the program's exit code.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

_ = sys.argv[1:] or sys.exit(__doc__)
pid, terminal = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])  # noqa: S606 -- the program under test, as typed
# a terminal of 40 lines of 120 columns, as a user's (with none, a pager takes every output)
fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

shown = b""


def wait_for(pattern: bytes, timeout: float) -> bool:
    """Read the terminal until `pattern` shows, the program ends or `timeout` passes."""
    global shown  # noqa: PLW0603 -- one terminal, one transcript
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([terminal], [], [], 1)[0]:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the program ended: the terminal closed
                return False
            if not chunk:
                return False
            shown += chunk
            if re.search(pattern, shown):
                return True
    return False


prompt, answer = os.environ["PROMPT"].encode(), os.environ["ANSWER"].encode()
if wait_for(prompt, 120):
    os.write(terminal, os.environ["QUERY"].encode() + b"\n")
    # the answer, then the prompt again: the program reads the next line
    wait_for(answer + rb"[\s\S]*" + prompt, 60)
    os.write(terminal, os.environ["QUIT"].encode() + b"\n")
    wait_for(rb"(?!)", 30)  # until the program ends
else:
    os.kill(pid, 9)
_pid, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
