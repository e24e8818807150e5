"""Bias probes: each builds probe items from pairs, has the judge under test judge them, and
measures one bias with a bootstrap interval, the examples that flipped, and a verdict line."""
