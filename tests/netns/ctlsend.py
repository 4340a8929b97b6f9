# SPDX-License-Identifier: GPL-2.0-only
"""Send stdin as one raw line to a ddraidd control socket; print the reply.

Used by the netns tests to send requests ddraidctl would never build
(malformed JSON, wrong types) and check they are refused.
"""
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read().rstrip(b"\n") + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
sys.stdout.write(buf.decode())
