"""Live and replayed sources. Each yields :class:`~emgcramp.blocks.Block` s in µV.

- :mod:`.frames`: frames of the sensor link → blocks (shared by serial and BLE)
- :mod:`.serial`: USB serial via pyserial, with reconnect
- :mod:`.replay`: a recording played through the live path, real time or faster
"""
