"""The sensor at the bedside: sources (serial, BLE, text lines, replay), the monitor loop, calibration."""
