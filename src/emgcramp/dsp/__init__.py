"""Signal conditioning: filter design (NumPy), mains-hum detection, and the fused Numba filter kernel."""
