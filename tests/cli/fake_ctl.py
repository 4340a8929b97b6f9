# SPDX-License-Identifier: GPL-2.0-only
# A stand-in for ddraidd's control socket in the CLI tests (lib.sh,
# fake_ctl): one request per connection, read up to its newline, answered
# with the contents of REPLY. REPLY may be several files, REPLY1:REPLY2:...
# (a job's progress over time): the n-th connection gets the n-th, and
# the last one every later connection. With REQS ("-": none) every
# request is appended there; while the file HOLD exists the connection
# stays open 3 s after the answer. A line "#sleep S" in a REPLY is not
# sent: the answer pauses S seconds there (events that come in bursts).
#
#   python3 fake_ctl.py SOCK REPLY[:REPLY...] [REQS [HOLD]]
import os
import socket
import sys
import time

path = sys.argv[1]
replies = sys.argv[2].split(":")
reqs = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "-" else None
hold = sys.argv[4] if len(sys.argv) > 4 else None
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
while True:
    c, _ = s.accept()
    buf = b""
    while not buf.endswith(b"\n"):
        d = c.recv(4096)
        if not d:
            break
        buf += d
    if reqs:
        with open(reqs, "ab") as f:
            f.write(buf)
    try:
        with open(replies[0], "rb") as f:
            for line in f:
                if line.startswith(b"#sleep "):
                    time.sleep(float(line.split()[1]))
                else:
                    c.sendall(line)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client had what it wanted (events --once)
    if len(replies) > 1:
        replies.pop(0)
    if hold and os.path.exists(hold):
        time.sleep(3)
    c.close()
