"""Scoring against truth and timing: event matching, the scoreboard, the speed comparison."""
