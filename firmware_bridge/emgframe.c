#include "emgframe.h"

uint16_t emg_crc16(const uint8_t *data, size_t len) {
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)data[i] << 8;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

static uint8_t *put16(uint8_t *p, uint16_t v) { p[0] = v & 0xFF; p[1] = v >> 8; return p + 2; }
static uint8_t *put32(uint8_t *p, uint32_t v) { p = put16(p, v & 0xFFFF); return put16(p, v >> 16); }

static uint8_t *header(uint8_t *out, uint8_t type, uint8_t ch, uint8_t fmt, uint8_t n, uint16_t seq, uint32_t ts) {
    uint8_t *p = out;
    *p++ = 0xA5; *p++ = 0x5A;
    *p++ = (uint8_t)((1u << 4) | type);
    *p++ = ch; *p++ = fmt; *p++ = n;
    p = put16(p, seq);
    return put32(p, ts);
}

static size_t finish(uint8_t *out, uint8_t *end) {
    uint16_t crc = emg_crc16(out + 2, (size_t)(end - out - 2));
    end = put16(end, crc);
    return (size_t)(end - out);
}

size_t emg_encode_data(uint8_t *out, uint16_t seq, uint32_t timestamp, const int32_t *samples,
                       uint8_t n, uint8_t ch, uint8_t fmt) {
    if (n == 0 || ch == 0 || ch > EMG_MAX_CHANNELS || fmt > EMG_FMT_INT24) return 0;
    uint8_t *p = header(out, 0, ch, fmt, n, seq, timestamp);
    for (size_t i = 0; i < (size_t)n * ch; i++) {
        uint32_t v = (uint32_t)samples[i];
        *p++ = v & 0xFF;
        *p++ = (v >> 8) & 0xFF;
        if (fmt == EMG_FMT_INT24) *p++ = (v >> 16) & 0xFF;
    }
    return finish(out, p);
}

size_t emg_encode_status(uint8_t *out, uint16_t seq, uint32_t timestamp, uint16_t fs_hz, uint32_t nv_per_lsb,
                         uint16_t battery_mv, uint8_t lead_off, uint8_t gain, uint16_t flags, uint8_t ch) {
    uint8_t *p = header(out, 1, ch, EMG_FMT_INT16, 0, seq, timestamp);
    p = put16(p, fs_hz);
    p = put32(p, nv_per_lsb);
    p = put16(p, battery_mv);
    *p++ = lead_off;
    *p++ = gain;
    p = put16(p, flags);
    return finish(out, p);
}
