"""Any process: the pure core, which imports only the standard library.

Dates and fingerprints (`lifecycle`), settings and app validation (`settings`, `apps`),
redaction, errors by cause, type tokens, the clock, the gate's verdict and the texts a
user reads more than once. The program, the provider host, the policy pack and the
command lines all use it; the last two use nothing else of `providers`.
"""
