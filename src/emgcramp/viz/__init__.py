"""Pictures for people: the one-night report and the trend over nights."""
