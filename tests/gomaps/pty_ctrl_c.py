#!/usr/bin/env python3
"""pty_ctrl_c.py — run a command on a new pseudo-terminal and type Ctrl-C at it.

usage: pty_ctrl_c.py OUT WAIT_FOR SECONDS CMD [ARGS...]

CMD runs as the foreground process group of a fresh terminal (its children
too, unless they move away).  Once its output contains WAIT_FOR, and SECONDS
later, a Ctrl-C is typed: the terminal driver sends SIGINT to the whole
foreground group, exactly as when a person presses Ctrl-C.  Everything CMD
writes is saved to OUT; the exit status is CMD's (128+N when killed by N).
"""
import os
import pty
import select
import sys
import time

out, needle, delay, cmd = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3]), sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
buf, seen, sent, deadline = b"", None, False, time.time() + 300
while time.time() < deadline:
    if select.select([fd], [], [], 0.05)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not data:
            break
        buf += data
    if seen is None and needle in buf:
        seen = time.time()
    if not sent and seen is not None and time.time() - seen >= delay:
        os.write(fd, b"\x03")
        sent = True
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
with open(out, "wb") as f:
    f.write(buf.replace(b"\r\n", b"\n"))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
