"""Tests of Tests/realclient/realclient.py: the real tiktoklive client against `livetape serve`,
the harness end to end against its stand-in server, and its comparison logic.

Run with the cross-check's venv (`tools/crosscheck --prepare-only` creates it):
    .venv-crosscheck/bin/python -m unittest discover -s Tests/realclient -v
"""

import copy
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realclient  # noqa: E402

GOLDEN = os.path.join(realclient.ROOT, "Fixtures", "session-5min.events.golden.jsonl")


def run_harness(*args):
    return subprocess.run([sys.executable, os.path.join(realclient.HERE, "realclient.py"), *args],
                          capture_output=True, text=True, timeout=180)


class EndToEnd(unittest.TestCase):
    @unittest.skipUnless(os.access(realclient.LIVETAPE, os.X_OK),
                         f"{os.path.relpath(realclient.LIVETAPE, realclient.ROOT)} is not built (swift build)")
    def test_livetape_serve(self):
        result = run_harness()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_standin(self):
        result = run_harness("--standin")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn(" 0 problems", result.stdout)

    def test_standin_with_a_tampered_golden(self):
        with open(GOLDEN, encoding="utf-8") as f:
            lines = f.readlines()
        i = next(i for i, line in enumerate(lines) if '"event":"gift"' in line)
        self.assertIn('"repeat_count":1,', lines[i])
        lines[i] = lines[i].replace('"repeat_count":1,', '"repeat_count":2,')
        with tempfile.TemporaryDirectory() as tmp:
            tampered = os.path.join(tmp, "tampered.jsonl")
            with open(tampered, "w", encoding="utf-8") as f:
                f.writelines(lines)
            result = run_harness("--standin", "--golden", tampered)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("repeat_count: golden 2, client 1", result.stdout)


class Comparison(unittest.TestCase):
    """compare() on the golden against the events a matching client would give, then altered."""

    @classmethod
    def setUpClass(cls):
        cls.golden = realclient.load_golden(GOLDEN)
        cls.matching = [realclient.comparable(realclient.skip_unavailable(g))
                        for g in cls.golden if g["event"] in realclient.KINDS]

    def client(self):
        return copy.deepcopy(self.matching)

    def index(self, events, kind):
        return next(i for i, e in enumerate(events) if e["event"] == kind)

    def test_matching_events(self):
        self.assertEqual(realclient.compare(self.golden, self.matching), [])

    def test_changed_value(self):
        events = self.client()
        events[self.index(events, "comment")]["user"]["nickname"] = "someone else"
        problems = realclient.compare(self.golden, events)
        self.assertEqual(len(problems), 1, problems)
        self.assertRegex(problems[0], r"^different: comment \d+ \(tape line 2\): user\.nickname: golden .*, "
                                      r"client \"someone else\"$")

    def test_changed_type(self):
        events = self.client()
        seq = events[self.index(events, "viewer_count")]
        seq["viewers"] = int(seq["viewers"])
        problems = realclient.compare(self.golden, events)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn(f'viewers: golden "{seq["viewers"]}", client {seq["viewers"]}', problems[0])

    def test_missing_field_and_extra_field(self):
        events = self.client()
        like = events[self.index(events, "like")]
        like["totals"] = like.pop("total")
        problems = realclient.compare(self.golden, events)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn('total: golden "', problems[0])
        self.assertIn("client <absent>", problems[0])
        self.assertIn("totals: golden <absent>", problems[1])

    def test_missing_event(self):
        events = self.client()
        gone = events.pop(self.index(events, "live_end"))
        self.assertEqual(realclient.compare(self.golden, events),
                         [f"missing: live_end {gone['msg_id']} (tape line 2362)"])

    def test_extra_event(self):
        events = self.client()
        i = self.index(events, "gift")
        events.insert(i, dict(events[i], msg_id="1"))
        problems = realclient.compare(self.golden, events)
        self.assertEqual(len(problems), 1, problems)
        self.assertRegex(problems[0], r"^extra: gift 1, before golden gift \d+ \(tape line 9\)$")

    def test_swapped_events(self):
        events = self.client()
        i = self.index(events, "join")
        events[i - 1], events[i] = events[i], events[i - 1]
        problems = realclient.compare(self.golden, events)
        self.assertTrue(problems)
        self.assertTrue(all(p.startswith(("missing:", "extra:")) for p in problems), problems)

    def test_missing_disconnect(self):
        events = [e for e in self.client() if e["event"] != "disconnect"]
        self.assertEqual(realclient.compare(self.golden, events), ["missing: disconnect (tape line 2363)"])

    def test_unavailable_facts_are_skipped_only_there(self):
        connect = next(g for g in self.golden if g["event"] == "connect")
        self.assertIn("url", connect)
        self.assertEqual(realclient.comparable(realclient.skip_unavailable(connect)), {"event": "connect"})
        gift = next(g for g in self.golden if g["event"] == "gift")
        self.assertEqual(realclient.skip_unavailable(gift), gift)


if __name__ == "__main__":
    unittest.main()
