/* Prints reference frames as hex, one per line; tests/test_protocol.py checks them
   byte for byte against the Python encoder and decoder. */
#include <stdio.h>
#include "emgframe.h"

static void hex(const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}

int main(void) {
    uint8_t buf[EMG_HEADER_LEN + 255 * EMG_MAX_CHANNELS * 3 + 2];
    int32_t ramp[10], two[6] = {-32768, 32767, -1, 0, 1234, -4321}, wide[4] = {-8388608, 8388607, -2, 70000};
    for (int i = 0; i < 10; i++) ramp[i] = (i * 1000) - 5000;
    hex(buf, emg_encode_data(buf, 0, 0, ramp, 10, 1, EMG_FMT_INT16));
    hex(buf, emg_encode_data(buf, 65535, 4294967295u, two, 3, 2, EMG_FMT_INT16));
    hex(buf, emg_encode_data(buf, 7, 123456, wide, 2, 2, EMG_FMT_INT24));
    hex(buf, emg_encode_status(buf, 8, 2000, 2000, 2441, 3700, 0x02, 12, 1, 2));
    const uint8_t check[] = "123456789";
    printf("%04x\n", emg_crc16(check, 9));
    return 0;
}
