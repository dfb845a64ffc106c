"""The real `tiktoklive` client recorded through `livetape record` while it talks to
`livetape serve` of a fixture: the new tape's events transcript must equal the fixture's
events golden, and the client's own events must match it too."""

import asyncio
import os
import signal
import subprocess
import tempfile
import unittest

import realclient

TAPE = os.path.join(realclient.ROOT, "Fixtures", "session-5min.tape")
GOLDEN = os.path.join(realclient.ROOT, "Fixtures", "session-5min.events.golden.jsonl")


@unittest.skipUnless(os.access(realclient.LIVETAPE, os.X_OK), "build livetape first (swift build)")
class RecordRoundTripTest(unittest.TestCase):
    def test_a_session_recorded_through_the_proxy_checks_against_the_original_golden(self):
        realclient.isolate_environment()
        realclient.loopback_only()
        with tempfile.TemporaryDirectory() as work:
            recorded = os.path.join(work, "recorded.tape")
            upstream, upstream_urls = realclient.start_server([realclient.LIVETAPE, "serve", TAPE, "--speed", "max"], 30)
            try:
                proxy, proxy_urls = realclient.start_server(
                    [realclient.LIVETAPE, "record", "-o", recorded, "--sign-upstream", upstream_urls["sign_url"]], 30)
                try:
                    events, failures = asyncio.run(realclient.run_client(proxy_urls["sign_url"], realclient.room_id_of(TAPE), 60))
                finally:
                    os.killpg(proxy.pid, signal.SIGINT)
                    self.assertEqual(proxy.wait(20), 0)
                    proxy.stdout.close()
            finally:
                realclient.stop_server(upstream)
            self.assertEqual(failures, [])
            self.assertEqual(realclient.compare(realclient.load_golden(GOLDEN), events), [])

            transcript = os.path.join(work, "recorded.events.jsonl")
            decode = subprocess.run([realclient.LIVETAPE, "decode", recorded, "--view", "events", "-o", transcript],
                                    capture_output=True, text=True)
            self.assertEqual(decode.returncode, 0, decode.stderr)
            diff = subprocess.run([realclient.LIVETAPE, "diff", GOLDEN, transcript, "--ignore", "*.t_us", "--ignore", "connect.url"],
                                  capture_output=True, text=True)
            self.assertEqual(diff.returncode, 0, diff.stdout[-2000:])
            self.assertIn("no differences", diff.stdout)


if __name__ == "__main__":
    unittest.main()
