"""Printed figures, measured in one run on this machine; never assertions."""
