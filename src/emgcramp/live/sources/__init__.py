"""Live and replayed sources. Each yields :class:`~emgcramp.core.blocks.Block` s in µV.

- :mod:`.base`: :class:`~.base.Source`, the interface all of them give the monitor
- :mod:`.frames`: frames of the sensor link → blocks (shared by serial and BLE)
- :mod:`.serial`: USB serial via pyserial, with reconnect (frames, or text lines: :mod:`.ascii`)
- :mod:`.ble`: BLE via bleak, with reconnect
- :mod:`.replay`: a recording played through the live path, real time or faster
"""
