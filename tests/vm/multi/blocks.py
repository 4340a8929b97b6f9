#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
#
# The journalled block writer and its checks for the multi-VM tests
# (tests/vm/multi/t-2node.sh, t-3node.sh), one process each (a shell loop
# forks too much under TCG).
#
#   blocks.py write  DEV JOURNAL NODE [--nodes N] [--span S] [--fsync]
#                    [--stop FILE] [--stats FILE]
#   blocks.py verify DEV JOURNAL NODE [JOURNAL NODE...] [--nodes N] [--span S]
#   blocks.py zeros  DEV JOURNAL NODE COUNT [--nodes N] [--span S]
#
# N nodes (default 2) named a, b, c... write the same regions, each its own
# blocks among the first S (default all) of each region: write number i of
# node k goes to region FIRST + (i % NREG) * STRIDE, block N * (i // NREG)
# + k of it, and after every block of its share it starts over (same
# contents again). A smaller span makes fewer blocks to verify. A block holds the line
# "ddraid 2node NODE block B" repeated. Each acknowledged (pwrite returned)
# block number is appended to JOURNAL, with an fsync if --fsync (the
# journal outlives a power cut of the writer's VM). A writer goes on from
# the journal's length (write number = lines already there), so one
# started again after a stop, an IO error or a power cut rewrites first
# the block that may have been in flight. It stops with status 0 when FILE
# exists, with 1 at the first IO error.
#
# --stats FILE: at every SIGUSR1 and when the writer ends, a line with a
# JSON object about the writes since the previous line (a phase of the
# test): "writes", "max_gap" (seconds, the longest time between two
# consecutive acknowledgements, or between the start of the phase and the
# first one: the longest write stall), "max_gap_start" (when it began,
# seconds since the epoch), "error" (the IO error, or null; the last line
# only), "end" (true on the last line).
#
# verify: every block in each JOURNAL reads back its NODE's contents (one
# process for them all: python starts slowly under TCG). zeros: the COUNT
# writes after the last acknowledged one, skipping the one that may have
# been in flight at a power cut, read zeros (never written). DEV may be a
# block device or a file (an exported volume on the host): O_DIRECT where
# the file system has it.

import json
import mmap
import os
import signal
import sys
import time

BLOCK = 4096
RSIZE = 1 << 20		# the volume's region size (the run-*.sh create it)
BPR = RSIZE // BLOCK
FIRST = 16		# regions FIRST, FIRST + STRIDE, ...: away from phase a
STRIDE = 4
NREG = 6


def per_node(nodes, span):
	"""Writes before a node starts over."""
	return NREG * (span // nodes)


def blk_of(i, node, nodes, span):
	i %= per_node(nodes, span)
	region = FIRST + (i % NREG) * STRIDE
	return region * BPR + nodes * (i // NREG) + (ord(node) - ord("a"))


def pattern(node, b):
	line = ("ddraid 2node %s block %d\n" % (node, b)).encode()
	return (line * (BLOCK // len(line) + 1))[:BLOCK]


def journal_lines(journal):
	try:
		with open(journal) as f:
			return [int(x) for x in f]
	except FileNotFoundError:
		return []


class Phase:
	"""Writes and the longest stall since the last mark."""

	def __init__(self, stats):
		self.stats = stats
		self.reset()

	def reset(self):
		self.n = 0
		self.last = time.monotonic()
		self.last_wall = time.time()
		self.gap, self.gap_start = 0.0, None

	def acked(self):
		now = time.monotonic()
		if now - self.last > self.gap:
			self.gap = now - self.last
			self.gap_start = self.last_wall
		self.last, self.last_wall = now, time.time()
		self.n += 1

	def mark(self, err=None, end=False):
		if self.stats:
			with open(self.stats, "a") as f:
				json.dump({"writes": self.n,
					   "max_gap": round(self.gap, 3),
					   "max_gap_start": self.gap_start,
					   "error": err, "end": end}, f)
				f.write("\n")
		self.reset()


def write(fd, journal, node, nodes, span, fsync, stop, stats):
	buf = mmap.mmap(-1, BLOCK)	# page-aligned, as O_DIRECT wants
	i = len(journal_lines(journal))
	log = open(journal, "a")
	phase = Phase(stats)
	total = 0
	err = None
	# A mark between two writes (Python runs the handler there; a pwrite
	# it interrupts is resumed, PEP 475).
	signal.signal(signal.SIGUSR1, lambda *_: phase.mark())
	while not (stop and os.path.exists(stop)):
		b = blk_of(i, node, nodes, span)
		buf[:] = pattern(node, b)
		try:
			w = os.pwrite(fd, buf, b * BLOCK)
			if w != BLOCK:
				err = "short write of block %d: %d" % (b, w)
		except OSError as e:
			err = "write of block %d failed: %s" % (b, e)
		if err:
			print(err, file=sys.stderr)
			break
		log.write("%d\n" % b)
		log.flush()
		if fsync:
			os.fsync(log.fileno())
		i += 1
		total += 1
		phase.acked()
	signal.signal(signal.SIGUSR1, signal.SIG_IGN)
	print("writer %s: %d writes, %s" %
	      (node, total, "stopped" if not err else "IO error"),
	      file=sys.stderr)
	phase.mark(err, True)
	return 1 if err else 0


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


def open_dev(dev, flags):
	try:
		return os.open(dev, flags | os.O_DIRECT)
	except OSError:
		if not os.path.isfile(dev):
			raise
		return os.open(dev, flags)	# a file system without O_DIRECT


def option(argv, name, default=None):
	if name in argv:
		return argv[argv.index(name) + 1]
	return default


def main(argv):
	valued = ("--nodes", "--span", "--stop", "--stats")
	args = [a for k, a in enumerate(argv[1:], 1)
		if not a.startswith("--") and argv[k - 1] not in valued]
	cmd, dev, journal, node = args[:4]
	nodes = int(option(argv, "--nodes", "2"))
	span = int(option(argv, "--span", str(BPR)))
	named = args[3:4] if cmd != "verify" else args[3::2]
	if not nodes <= span <= BPR:
		print("the span is %d to %d blocks" % (nodes, BPR),
		      file=sys.stderr)
		return 2
	if not 2 <= nodes <= 26 or len(args) < 4 or any(
			len(x) != 1 or not 0 <= ord(x) - ord("a") < nodes
			for x in named):
		print("a node is one of the first %d letters" % nodes,
		      file=sys.stderr)
		return 2
	if cmd == "write":
		fd = open_dev(dev, os.O_RDWR)
		return write(fd, journal, node, nodes, span, "--fsync" in argv,
			     option(argv, "--stop"), option(argv, "--stats"))
	fd = open_dev(dev, os.O_RDONLY)
	done = journal_lines(journal)
	if cmd == "verify":
		bad = 0
		for k in range(2, len(args), 2):
			journal, node = args[k:k + 2]
			want = {b: pattern(node, b)
				for b in journal_lines(journal)}
			bad |= compare(fd, sorted(want.items()),
				       "verify " + node)
		return bad
	if cmd == "zeros":
		count = int(args[4])
		if len(done) + 1 + count > per_node(nodes, span):
			print("zeros: the writer went round", file=sys.stderr)
			return 1
		want = [(blk_of(i, node, nodes, span), bytes(BLOCK))
			for i in range(len(done) + 1, len(done) + 1 + count)]
		return compare(fd, want, "zeros " + node)
	print("unknown command %s" % cmd, file=sys.stderr)
	return 2


if __name__ == "__main__":
	sys.exit(main(sys.argv))
