"""Printed figures, measured in one run on this machine; never assertions.

The benchmarks run on the same stand-ins, provider host and harness as the tests
(testbed/), never on anything in tests/.
"""

TOKEN = "bEnCh-ToKeN-5d1c9e7a3b2f4e60a8c7d9b1e3f5a7c9"
"""The token the benchmarks register and the Druva stand-in accepts."""
