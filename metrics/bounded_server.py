"""Imported last by the evaluators' fork server (metrics.bounded_worker.PRELOAD), and only there.

It warms the metrics' libraries, so that every evaluator is forked warm, and makes the fork server's exit
immediate: the fork server exits when the process that scores is gone, and the kernel then kills its evaluators
(bounded_worker), so how fast it exits is how long a hostile evaluation outlives a killed caller. Python's usual
exit, tearing down every module and cache it loaded, takes seconds.
"""

import atexit
import os

from metrics.bounded_worker import warm_up

warm_up()
# Registered last, so it runs first; nothing in the fork server needs flushing or cleaning up.
atexit.register(os._exit, 0)
