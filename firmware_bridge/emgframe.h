/* Frame encoder for the emgcramp sensor link (see PROTOCOL.md). Portable C99, no allocation. */
#ifndef EMGFRAME_H
#define EMGFRAME_H

#include <stddef.h>
#include <stdint.h>

#define EMG_FMT_INT16 0
#define EMG_FMT_INT24 1
#define EMG_HEADER_LEN 12
#define EMG_MAX_CHANNELS 8

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF. */
uint16_t emg_crc16(const uint8_t *data, size_t len);

/* Writes a data frame of n samples x ch channels (interleaved counts) into out;
   returns its length, or 0 if the arguments are out of range. out must hold
   EMG_HEADER_LEN + n*ch*3 + 2 bytes. */
size_t emg_encode_data(uint8_t *out, uint16_t seq, uint32_t timestamp, const int32_t *samples,
                       uint8_t n, uint8_t ch, uint8_t fmt);

/* Writes a status frame (26 bytes) into out; returns its length. */
size_t emg_encode_status(uint8_t *out, uint16_t seq, uint32_t timestamp, uint16_t fs_hz, uint32_t nv_per_lsb,
                         uint16_t battery_mv, uint8_t lead_off, uint8_t gain, uint16_t flags, uint8_t ch);

#endif
