"""Layout of the per-bin trace the cramp state machine leaves for later passes.

One row per detector bin (50 Hz by default): the 0.5-s and 0.1-s RMS
envelopes and the 20-ms bin RMS (µV), the rest level (µV; -1 while it is
still being learnt) and flag bits. Leg-movement scoring
(:mod:`emgcramp.detect.movements`) and the pre-cramp watch
(:mod:`emgcramp.detect.precramp`) read it, so the envelope is computed once.
"""

T_ENV, T_ENV_S, T_BIN, T_REST, T_FLAGS, N_TRACE = range(6)
F_FLAT, F_MOTION, F_EPISODE = 1, 2, 4
