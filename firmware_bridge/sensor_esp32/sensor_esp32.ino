// emgcramp calf sensor: ESP32 + an sEMG front end (MyoWare 2.0 raw output, AD8232, or similar).
//
// A hardware timer samples the ADC at FS_HZ; frames of the emgcramp link protocol
// (../PROTOCOL.md) go out over USB serial and as BLE notifications. The sample clock
// keeps running while nobody listens, so the host sees exactly how much it missed.
// Built with arduino-esp32 core 3.x (timerBegin(frequency) API) and its bundled BLE library.

#include <Arduino.h>
#include <BLEDevice.h>
#include <BLE2902.h>
#include <BLEServer.h>
#include "emgframe.h"

// ---- hardware ---------------------------------------------------------------------------
static const int EMG_PIN = 34;            // ADC1 input: raw (not envelope) EMG output, biased at mid-supply
static const int LEAD_OFF_PIN = -1;       // AD8232 LO+ (or -1 if the front end has none)
static const uint16_t FS_HZ = 1000;       // 1000 or 2000
// ADC step referred to the electrodes: 3.1 V / 4096 counts / front-end gain. For a gain of
// 1000 that is 757 nV per count; set yours.
static const uint32_t NV_PER_LSB = 757;
static const uint8_t FRONT_END_GAIN = 10; // reported only (log2-ish code for the host log)

// ---- link -------------------------------------------------------------------------------
static const char *SERVICE_UUID = "6e3a0001-7c1f-4d2c-9a55-3b1d2c0e5a01";
static const char *FRAMES_UUID  = "6e3a0002-7c1f-4d2c-9a55-3b1d2c0e5a01";
static const uint8_t N_SERIAL = 100;      // samples per serial frame

// ---- sampling: timer ISR wakes a task that reads the ADC (analogRead is not ISR-safe) ----
static hw_timer_t *timer = nullptr;
static TaskHandle_t samplerTask = nullptr;
static const size_t RING = 4096;          // 2-4 s of samples: rides out a slow BLE connection event
static volatile int16_t ring[RING];
static volatile uint32_t head = 0;        // samples written since boot = the sample clock
static uint32_t tail = 0;                 // next sample to send

void IRAM_ATTR onTimer() {
  BaseType_t woken = pdFALSE;
  vTaskNotifyGiveFromISR(samplerTask, &woken);
  portYIELD_FROM_ISR(woken);
}

void sampler(void *) {
  for (;;) {
    ulTaskNotifyTake(pdTRUE, portMAX_DELAY);
    int v = analogRead(EMG_PIN) - 2048;   // centre the mid-supply bias
    ring[head % RING] = (int16_t)v;
    head++;
  }
}

// ---- BLE --------------------------------------------------------------------------------
static BLECharacteristic *frames = nullptr;
static volatile bool bleConnected = false;
static uint16_t bleMtu = 23;

class Callbacks : public BLEServerCallbacks {
  void onConnect(BLEServer *) override { bleConnected = true; }
  // the next central may not negotiate: back to the default MTU, or frames sized for the last one are cut
  void onDisconnect(BLEServer *s) override { bleConnected = false; bleMtu = 23; s->startAdvertising(); }
  void onMtuChanged(BLEServer *, esp_ble_gatts_cb_param_t *p) override { bleMtu = p->mtu.mtu; }
};

static void setupBle() {
  char name[24];
  snprintf(name, sizeof name, "emgcramp-%04x", (unsigned)(ESP.getEfuseMac() & 0xFFFF));
  BLEDevice::init(name);
  BLEDevice::setMTU(247);
  BLEServer *server = BLEDevice::createServer();
  server->setCallbacks(new Callbacks());
  BLEService *svc = server->createService(SERVICE_UUID);
  frames = svc->createCharacteristic(FRAMES_UUID, BLECharacteristic::PROPERTY_NOTIFY);
  frames->addDescriptor(new BLE2902());
  svc->start();
  BLEAdvertising *adv = BLEDevice::getAdvertising();
  adv->addServiceUUID(SERVICE_UUID);
  adv->start();
}

// ---- frames -----------------------------------------------------------------------------
static uint16_t seq = 0;
static uint8_t buf[EMG_HEADER_LEN + 255 * 3 + 2];

static void send(const uint8_t *frame, size_t len, bool viaBle) {
  Serial.write(frame, len);
  if (viaBle && bleConnected && len <= (size_t)(bleMtu - 3)) {
    frames->setValue((uint8_t *)frame, len);
    frames->notify();
  }
}

static void sendStatus(uint32_t clock) {
  uint8_t leadOff = (LEAD_OFF_PIN >= 0 && digitalRead(LEAD_OFF_PIN)) ? 1 : 0;
  uint16_t battery = (uint16_t)(analogReadMilliVolts(35) * 2);  // 1:2 divider on a LiPo, if fitted
  size_t n = emg_encode_status(buf, seq++, clock, FS_HZ, NV_PER_LSB, battery, leadOff, FRONT_END_GAIN, 0, 1);
  send(buf, n, true);
}

void setup() {
  Serial.begin(921600);
  analogReadResolution(12);
  if (LEAD_OFF_PIN >= 0) pinMode(LEAD_OFF_PIN, INPUT);
  setupBle();
  xTaskCreatePinnedToCore(sampler, "sampler", 2048, nullptr, configMAX_PRIORITIES - 1, &samplerTask, 1);
  timer = timerBegin(1000000);                       // 1 MHz timer clock
  timerAttachInterrupt(timer, &onTimer);
  timerAlarm(timer, 1000000 / FS_HZ, true, 0);       // one sample per period, forever
}

void loop() {
  static uint32_t nextStatus = 0;
  int32_t samples[255];
  // The frame size follows the link: a full serial frame, or what fits the BLE MTU.
  uint8_t n = bleConnected ? (uint8_t)min<int>((bleMtu - 3 - EMG_HEADER_LEN - 2) / 2, 255) : N_SERIAL;
  if (head - tail > RING) tail = head - RING;        // fell behind: drop the oldest (host sees the gap)
  if (tail >= nextStatus) {
    sendStatus(tail);
    nextStatus += FS_HZ;
  }
  if (head - tail < n) {
    delay(1);
    return;
  }
  for (uint8_t i = 0; i < n; i++) samples[i] = ring[(tail + i) % RING];
  size_t len = emg_encode_data(buf, seq++, tail, samples, n, 1, EMG_FMT_INT16);
  send(buf, len, true);
  tail += n;
}
