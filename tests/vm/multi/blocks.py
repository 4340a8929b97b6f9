#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
#
# The journalled block writer and its checks for tests/vm/multi/t-2node.sh,
# one process each (a shell loop forks too much under TCG).
#
#   blocks.py write  DEV JOURNAL NODE [--fsync] [--stop FILE]
#   blocks.py verify DEV JOURNAL NODE
#   blocks.py zeros  DEV JOURNAL NODE COUNT
#
# Node "a" writes the even blocks, node "b" the odd ones, of the same
# regions: write number i goes to region FIRST + (i % NREG) * STRIDE, block
# 2 * (i // NREG) + (0 for a, 1 for b) of it, and after every block of its
# half it starts over (same contents again). A block holds the line
# "ddraid 2node NODE block B" repeated. Each acknowledged (pwrite returned)
# block number is appended to JOURNAL, with an fsync if --fsync (the
# journal outlives a power cut of the writer's VM). The writer stops with
# status 0 when FILE exists, with 1 at the first IO error.
#
# verify: every block in JOURNAL reads back its contents. zeros: the COUNT
# writes after the last acknowledged one, skipping the one that may have
# been in flight at a power cut, read zeros (never written).

import mmap
import os
import sys

BLOCK = 4096
RSIZE = 1 << 20		# the volume's region size (run-2node.sh creates it)
BPR = RSIZE // BLOCK
FIRST = 16		# regions FIRST, FIRST + STRIDE, ...: away from phase a
STRIDE = 4
NREG = 6
PER_NODE = NREG * BPR // 2	# writes before a node starts over


def blk_of(i, node):
	i %= PER_NODE
	region = FIRST + (i % NREG) * STRIDE
	return region * BPR + 2 * (i // NREG) + (0 if node == "a" else 1)


def pattern(node, b):
	line = ("ddraid 2node %s block %d\n" % (node, b)).encode()
	return (line * (BLOCK // len(line) + 1))[:BLOCK]


def write(fd, journal, node, fsync, stop):
	buf = mmap.mmap(-1, BLOCK)	# page-aligned, as O_DIRECT wants
	log = open(journal, "a")
	i = 0
	while not (stop and os.path.exists(stop)):
		b = blk_of(i, node)
		buf[:] = pattern(node, b)
		try:
			n = os.pwrite(fd, buf, b * BLOCK)
		except OSError as e:
			print("write of block %d failed: %s" % (b, e),
			      file=sys.stderr)
			return 1
		if n != BLOCK:
			print("short write of block %d: %d" % (b, n),
			      file=sys.stderr)
			return 1
		log.write("%d\n" % b)
		log.flush()
		if fsync:
			os.fsync(log.fileno())
		i += 1
	print("writer %s: %d writes, stopped" % (node, i), file=sys.stderr)
	return 0


def compare(fd, want, what):
	buf = mmap.mmap(-1, BLOCK)
	bad = 0
	for b, data in want:
		os.preadv(fd, [buf], b * BLOCK)
		if buf[:] != data:
			if bad < 10:
				print("%s: block %d differs: %r" %
				      (what, b, buf[:40]), file=sys.stderr)
			bad += 1
	print("%s: %d blocks, %d differ" % (what, len(want), bad),
	      file=sys.stderr)
	return 1 if bad else 0


def main(argv):
	args = [a for a in argv[1:] if not a.startswith("--")]
	cmd, dev, journal, node = args[:4]
	if node not in ("a", "b"):
		print("node must be a or b", file=sys.stderr)
		return 2
	if cmd == "write":
		stop = None
		if "--stop" in argv:
			stop = argv[argv.index("--stop") + 1]
		fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
		return write(fd, journal, node, "--fsync" in argv, stop)
	fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
	done = [int(x) for x in open(journal)]
	if cmd == "verify":
		want = {b: pattern(node, b) for b in done}
		return compare(fd, sorted(want.items()), "verify " + node)
	if cmd == "zeros":
		count = int(args[4])
		if len(done) + 1 + count > PER_NODE:
			print("zeros: the writer went round", file=sys.stderr)
			return 1
		want = [(blk_of(i, node), bytes(BLOCK))
			for i in range(len(done) + 1, len(done) + 1 + count)]
		return compare(fd, want, "zeros " + node)
	print("unknown command %s" % cmd, file=sys.stderr)
	return 2


if __name__ == "__main__":
	sys.exit(main(sys.argv))
