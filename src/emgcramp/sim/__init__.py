"""Synthetic nights with known truth: motor units, night plans, scenarios, and a sensor emulator."""
