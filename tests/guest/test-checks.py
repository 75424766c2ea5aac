#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The guest runner's own checks (run.py), on made-up runs: what a check
says of given consoles, QMP events and vhost-user messages. No QEMU, no
guest: scripts/test runs this with the unit tests ("harness").
"""

import importlib.util
import os
import tempfile
import threading
import types
import unittest

_spec = importlib.util.spec_from_file_location(
    "run", os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.py"))
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)


def result(r, check):
    """(status, detail) of R's CHECK, or None."""
    got = [(s, d) for c, s, d in r.results if c == check]
    return got[-1] if got else None


class VhostFaults(unittest.TestCase):
    """vhost-faults: a DMA fault of vhost's NIC is the back-end's request
    for a page that was unmapped when asked for, or it is a failure."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.relay = run.VhostRelay(os.path.join(d, "s"), os.path.join(d, "b"),
                                    os.path.join(d, "log"))

    def tearDown(self):
        self.relay.close()
        self.tmp.cleanup()

    def update(self, iova, size=0x1000):
        R = run.VhostRelay
        self.relay._count(R.IOTLB.pack(iova, size, 0x7f0000000000 + iova, 3,
                                       R.UPDATE))

    def invalidate(self, iova, size=0x1000):
        R = run.VhostRelay
        self.relay._count(R.IOTLB.pack(iova, size, 0, 0, R.INVALIDATE))

    def miss(self, iova):
        R = run.VhostRelay
        self.relay._look_request(R.BACKEND_IOTLB_MSG,
                                 R.IOTLB.pack(iova, 0, 0, 3, R.MISS), [])

    def vhost_checks(self, out):
        """A vhost run whose guest passed vhost-frames and printed OUT,
        after _vhost_checks() with this relay."""
        r = run.Run("vhost", "vtd-dmar", "lazy", name="test-checks")
        r.add("vhost-frames", "PASS", "sent 200, returned 60")
        vhost = types.SimpleNamespace(relay=self.relay,
                                      forwarded=lambda: (1, 1))
        r._vhost_checks(vhost, out)
        return r

    def check(self, *faults):
        out = "".join("VTD: INFO vhost-fault [ 1.0] DMAR: [DMA Read NO_PASID]"
                      " Request device [00:05.0] fault addr 0x%x [fault "
                      "reason 0x06] PTE Read access is not set\n" % a
                      for a in faults)
        return result(self.vhost_checks(out), "vhost-faults")

    def test_ring_broke(self):
        r = self.vhost_checks("[ 5.0] virtio_net virtio1: output.0:id 0 "
                              "is not a head!\n")
        st, detail = result(r, "vhost-frames")
        self.assertEqual(st, "FAIL")
        self.assertIn("not a head", detail)

    def test_never_mapped(self):
        self.update(0x1000)
        self.miss(0x80000000)
        self.assertEqual(self.check(0x80000000)[0], "PASS")

    def test_unmapped_since_its_update(self):
        # a buffer the guest unmapped, asked for again by a broken ring
        self.update(0xfffc4000)
        self.miss(0xfffc4000)
        self.invalidate(0xfffc0000, 0x8000)
        self.miss(0xfffc4006)
        self.assertEqual(self.check(0xfffc4000)[0], "PASS")

    def test_mapped_when_asked(self):
        self.update(0xfffc4000)
        self.invalidate(0xfffc4000)
        self.update(0xfffc4000)           # mapped again
        self.miss(0xfffc4000)
        st, detail = self.check(0xfffc4000)
        self.assertEqual(st, "FAIL")
        self.assertIn("others: 0xfffc4000", detail)

    def test_asked_before_its_update_only(self):
        # asked while unmapped, but never invalidated: a mapped page
        self.miss(0x2000)
        self.update(0x2000)
        self.assertEqual(self.check(0x2000)[0], "FAIL")

    def test_nobody_asked(self):
        self.update(0x3000)
        self.invalidate(0x3000)
        self.assertEqual(self.check(0x3000)[0], "FAIL")

    def test_domain_wide_invalidation(self):
        self.update(0x5000)
        self.invalidate(0, 0)                   # size 0: all of 2^64
        self.miss(0x5000)
        self.assertEqual(self.check(0x5000)[0], "PASS")


class FaultEvents(unittest.TestCase):
    """fault-events: the recorded QMP events are the kernel's fault lines,
    except events at the guest's end that its dmesg dump could not have."""

    DUMP_AT = 1000.0

    def event(self, when, addr):
        return {"event": "VTD_DMAR_FAULT",
                "timestamp": {"seconds": int(when),
                              "microseconds": int(when % 1 * 1e6)},
                "data": {"bdf": "00:05.0", "access": "read", "address": addr,
                         "reason": 6, "recorded": True, "suppressed": 0,
                         "interrupt": False}}

    def check(self, events, logged):
        r = run.Run("vhost", "vtd-dmar", "lazy", name="test-checks")
        r.mon = types.SimpleNamespace(events=events)
        r.dmar_info = [{"fault-events-sent": len(events),
                        "fault-events-suppressed": 0}]
        r.dump_seen = self.DUMP_AT
        out = "".join("VTD: DMESG <3>[ 5.0] DMAR: [DMA Read NO_PASID] Request"
                      " device [00:05.0] fault addr 0x%x [fault reason 0x06]"
                      " PTE Read access is not set\n" % a for a in logged)
        r._fault_events(out + "VTD: DONE\n")
        return result(r, "fault-events")

    def test_all_in_dump(self):
        st, _ = self.check([self.event(self.DUMP_AT - 5, 0x100000000)],
                           [0x100000000])
        self.assertEqual(st, "PASS")

    def test_after_the_dump(self):
        st, detail = self.check(
            [self.event(self.DUMP_AT - 5, 0x100000000),
             self.event(self.DUMP_AT + 2, 0x80000000),
             self.event(self.DUMP_AT - run.DUMP_GRACE / 2, 0x180000000)],
            [0x100000000])
        self.assertEqual(st, "PASS")
        self.assertIn("not in its dump: 00:05.0 read 0x80000000", detail)

    def test_before_the_dump_missing(self):
        st, detail = self.check(
            [self.event(self.DUMP_AT - 2 * run.DUMP_GRACE, 0x80000000)], [])
        self.assertEqual(st, "FAIL")
        self.assertIn("recorded events not in dmesg", detail)

    def test_line_without_event(self):
        st, detail = self.check([], [0x80000000])
        self.assertEqual(st, "FAIL")
        self.assertIn("in dmesg, no recorded event", detail)

    def test_dump_seen_at_the_end(self):
        # the dump and the power-off between two looks at the console
        with tempfile.TemporaryDirectory() as d:
            r = run.Run("vhost", "vtd-dmar", "lazy", name="test-checks")
            r.log = os.path.join(d, "console.log")
            with open(r.log, "w") as f:
                f.write("VTD: INFO expected-faults 00:05.0\nVTD: DMESG <3>"
                        "[ 5.0] DMAR: x\nVTD: DONE\n")
            mon = types.SimpleNamespace(done=threading.Event())
            mon.done.set()
            self.assertTrue(r._wait_end(mon))
            self.assertIsNotNone(r.dump_seen)

    def test_dump_not_seen(self):
        r_events = [self.event(self.DUMP_AT + 2, 0x80000000)]
        self.DUMP_AT = None
        st, _ = self.check(r_events, [])
        self.assertEqual(st, "FAIL")


if __name__ == "__main__":
    unittest.main()
