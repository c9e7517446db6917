"""The baseline for the consumers benchmark: the same number of resources, no logic."""

import pulumi

count = int(pulumi.Config("bench").require("resources"))
for index in range(count):
    pulumi.CustomResource("bench:index:Bare", f"bare-{index}", {"index": index})
