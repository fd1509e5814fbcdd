/* The morning review page: one night's timeline and events, or the nights of a folder (emgcramp review).
 * Drawn with uPlot (vendored beside this file). Served: the data is fetched with the page's token and the
 * answers are posted back. Saved (emgcramp report --out night.html): the data is in the page, no buttons. */
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var COL = { level: "#333", rest: "#1f77b4", cramp: "#d62728", possible: "#ff7f0e", missed: "#2ca02c",
              lm: "#9467bd", plm: "#4b1d7a", warning: "#b8a200", confirmed: "#2ca02c", lost: "rgba(90,90,90,0.55)" };
  var FILL = { cramp: "rgba(214,39,40,0.20)", possible_cramp: "rgba(255,127,14,0.24)",
               missed: "rgba(44,160,44,0.24)", lost: "rgba(150,150,150,0.16)" };
  var SAID = { cramp: "a cramp", not_cramp: "not a cramp", unsure: "not sure" };
  var MARK = { cramp: "\u2713", not_cramp: "\u2717", unsure: "?" };
  var ROWS = 3, ROW_H = 17, LANE_H = 26, HEIGHT = 360, MAX_POINTS = 6000;
  // Panels for the likeliest possible cramps; a restless night lists many more, shown on request.
  var POSSIBLE_SHOWN = 12;
  var app = document.getElementById("app");

  function url(path) {
    return path + (path.indexOf("?") < 0 ? "?" : "&") + "token=" + encodeURIComponent(boot.token || "");
  }

  // Elements are built from text, never from HTML strings: no value of the night can become markup.
  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") e.textContent = v;
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    });
    (kids || []).forEach(function (c) { if (c !== null && c !== undefined) e.append(c); });
    return e;
  }

  function plural(n, word) { return n === 1 ? word : word + "s"; }

  function tip(text, title) { return h("span", { "class": "tip", title: title, text: text }); }

  function api(path, body) {
    var opts = body ? { method: "POST", headers: { "Content-Type": "application/json" },
                        body: JSON.stringify(body) } : {};
    return fetch(url(path), opts).then(function (r) {
      if (r.ok) return r.json();
      return r.json().catch(function () { return {}; }).then(function (j) {
        throw new Error(j.error || ("the server answered " + r.status));
      });
    });
  }

  function heartbeat() {
    if (boot.static) return;
    var beat = function () { fetch(url("/api/heartbeat"), { method: "POST", keepalive: true }).catch(function () {}); };
    beat();
    setInterval(beat, (boot.heartbeat_s || 5) * 1000);
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  // ---- clock time ----------------------------------------------------------------------------------
  // The night's start is a wall-clock time without a zone: it is placed on the axis as if it were UTC and
  // read back the same way, so the page shows the clock of the recording whatever the browser's zone.
  function Clock(start) {
    this.x0 = start ? Date.parse(start + "Z") / 1000 : 0;
    this.known = !!start;
  }
  Clock.prototype.text = function (x, seconds) {
    if (!this.known) {
      var t = Math.max(0, Math.round(x));
      return "+" + Math.floor(t / 3600) + ":" + pad2(Math.floor(t / 60) % 60) + (seconds ? ":" + pad2(t % 60) : "");
    }
    var d = new Date(Math.round(x) * 1000);
    return pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + (seconds ? ":" + pad2(d.getUTCSeconds()) : "");
  };
  Clock.prototype.axis = function (clock) {
    return function (u, splits, ax, space, incr) {
      return splits.map(function (x) { return clock.text(x, incr < 60); });
    };
  };

  // ---- the level timeline, at several resolutions --------------------------------------------------
  function pool(arr, f) {  // the largest of each f values (NaN where all are): a coarse view keeps each peak
    var n = Math.ceil(arr.length / f), out = new Float32Array(n);
    for (var i = 0; i < n; i++) {
      var m = NaN;
      for (var j = i * f, e = Math.min(arr.length, j + f); j < e; j++) {
        var v = arr[j];
        if (v === v && !(v <= m)) m = v;
      }
      out[i] = m;
    }
    return out;
  }

  function Timeline(buffer, night, clock) {
    var all = new Float32Array(buffer), nb = night.bins;
    this.rate = night.rate_hz;
    this.clock = clock;
    this.channels = night.channels.map(function (c, k) {
      var base = all.subarray(k * nb, (k + 1) * nb);
      return [1, 10, 50, 500].filter(function (f) { return f === 1 || nb / f > 50; })
        .map(function (f) { return { step: f, data: f === 1 ? base : pool(base, f) }; });
    });
    this.end = clock.x0 + nb / this.rate;
  }
  // The points uPlot draws for the view min..max (clock s): the finest resolution that stays under
  // MAX_POINTS, over a window a view wide on each side, so a small pan needs no new data.
  Timeline.prototype.window = function (min, max, maxPoints) {
    var span = Math.max(max - min, 1), levels = this.channels[0], lvl = levels.length - 1;
    for (var k = 0; k < levels.length; k++) {
      if (span * this.rate / levels[k].step <= (maxPoints || MAX_POINTS)) { lvl = k; break; }
    }
    var dt = levels[lvl].step / this.rate, n = levels[lvl].data.length;
    var i0 = Math.max(0, Math.floor((min - span - this.clock.x0) / dt));
    var i1 = Math.min(n, Math.ceil((max + span - this.clock.x0) / dt) + 1);
    var xs = new Array(i1 - i0), x0 = this.clock.x0;
    for (var i = i0; i < i1; i++) xs[i - i0] = x0 + (i + 0.5) * dt;
    var ys = this.channels.map(function (ch) {
      var d = ch[lvl].data, y = new Array(i1 - i0);
      for (var i = i0; i < i1; i++) { var v = d[i]; y[i - i0] = v === v ? v : null; }
      return y;
    });
    return { lvl: lvl, lo: x0 + i0 * dt, hi: x0 + i1 * dt, data: [xs].concat(ys) };
  };

  // ---- drawing helpers on uPlot's canvas -----------------------------------------------------------
  function hline(u, y, color, dash) {
    var ctx = u.ctx, b = u.bbox, py = u.valToPos(y, "y", true);
    if (py < b.top || py > b.top + b.height) return;
    ctx.save();
    ctx.strokeStyle = color; ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash(dash.map(function (d) { return d * devicePixelRatio; }));
    ctx.beginPath(); ctx.moveTo(b.left, py); ctx.lineTo(b.left + b.width, py); ctx.stroke();
    ctx.restore();
  }

  function band(u, on, off, fill) {
    var b = u.bbox, x0 = Math.max(b.left, u.valToPos(on, "x", true)),
        x1 = Math.min(b.left + b.width, u.valToPos(off, "x", true));
    if (x1 < b.left || x0 > b.left + b.width) return null;
    var w = Math.max(x1 - x0, 2 * devicePixelRatio);
    u.ctx.fillStyle = fill;
    u.ctx.fillRect(x0, b.top, w, b.height);
    return [x0, x0 + w];
  }

  // Signal lost: grey hatching as wide as the stretch and no wider (a short gap stays a hairline, never a
  // bar that could be read as an event). The swatch in the legend is the same hatching (review.css .sw.lost).
  var hatch = null;
  function lostFill(ctx) {
    var d = devicePixelRatio, s = Math.round(8 * d);
    if (hatch && hatch.d === d) return hatch.pattern;
    var c = document.createElement("canvas"), g = c.getContext("2d");
    c.width = c.height = s;
    g.fillStyle = FILL.lost; g.fillRect(0, 0, s, s);
    g.strokeStyle = COL.lost; g.lineWidth = d;
    g.beginPath();
    [[0, s, s, 0], [-s, s, s, -s], [0, 2 * s, 2 * s, 0]].forEach(function (l) { g.moveTo(l[0], l[1]); g.lineTo(l[2], l[3]); });
    g.stroke();
    hatch = { d: d, pattern: ctx.createPattern(c, "repeat") };
    return hatch.pattern;
  }

  function shade(u, on, off) {  // the stretch on..off (clock s) hatched over the plot's height; its pixels, or null
    var b = u.bbox, x0 = Math.max(b.left, u.valToPos(on, "x", true)),
        x1 = Math.min(b.left + b.width, u.valToPos(off, "x", true));
    if (x1 < b.left || x0 > b.left + b.width || x1 < x0) return null;
    var w = Math.max(x1 - x0, devicePixelRatio);
    u.ctx.save();
    u.ctx.fillStyle = lostFill(u.ctx);
    u.ctx.fillRect(x0, b.top, w, b.height);
    u.ctx.restore();
    return [x0, x0 + w];
  }

  // Labels over the plot in up to ROWS rows: each takes the first row where it overlaps nothing; one that
  // fits nowhere is left out (its band is still drawn, and its panel below names it). Never overprinted.
  function labels(u, items) {
    var ctx = u.ctx, dpr = devicePixelRatio, rowsEnd = [], top = u.bbox.top;
    ctx.save();
    ctx.font = "bold " + Math.round(12 * dpr) + "px system-ui, sans-serif";
    ctx.textBaseline = "middle"; ctx.textAlign = "center";
    items.sort(function (a, b) { return a.x - b.x; }).forEach(function (it) {
      var w = ctx.measureText(it.text).width + 8 * dpr, left = it.x - w / 2;
      for (var r = 0; r < ROWS; r++) {
        if (rowsEnd[r] === undefined || rowsEnd[r] + 3 * dpr < left) {
          rowsEnd[r] = left + w;
          var y = top - (r + 1) * ROW_H * dpr;
          ctx.fillStyle = it.color;
          ctx.fillRect(left, y, w, (ROW_H - 3) * dpr);
          ctx.fillStyle = "#fff";
          ctx.fillText(it.text, it.x, y + (ROW_H - 3) * dpr / 2);
          return;
        }
      }
    });
    ctx.restore();
  }

  function ticks(u, spans, color, lane) {  // lane 0 is the lowest strip under the trace
    var ctx = u.ctx, dpr = devicePixelRatio, b = u.bbox, lh = (LANE_H / 2) * dpr;
    var y = b.top + b.height - (lane + 1) * lh;
    ctx.fillStyle = color;
    spans.forEach(function (s) {
      var x0 = u.valToPos(s[0], "x", true), x1 = u.valToPos(s[1], "x", true);
      if (x1 < b.left || x0 > b.left + b.width) return;
      ctx.fillRect(Math.max(x0, b.left), y + 2 * dpr, Math.max(x1 - x0, 1.5 * dpr), lh - 4 * dpr);
    });
  }

  // ---- one night ------------------------------------------------------------------------------------
  function NightPage(night, buffer) {
    this.night = night;
    this.clock = new Clock(night.start);
    this.timeline = new Timeline(buffer, night, this.clock);
    this.marking = false;
    this.render();
  }

  NightPage.prototype.abs = function (t) { return this.clock.x0 + t; };

  NightPage.prototype.render = function () {
    var n = this.night, self = this;
    app.textContent = "";
    document.getElementById("title").textContent = n.title;
    app.append(h("p", { "class": "summary", id: "summary", text: n.summary + "." }));
    (n.settings_notes || []).forEach(function (t) { app.append(h("p", { "class": "settings-note", text: "Note: " + t })); });
    app.append(this.figures());
    if (boot.static) {
      app.append(h("p", { "class": "static-note", text: "A saved copy of the review page. To confirm or correct " +
        "the cramps, open the night with: " + (n.review_command || "emgcramp review NIGHT") }));
    }
    app.append(h("h2", { text: "The whole night" }));
    this.toolbar = this.makeToolbar();
    app.append(this.toolbar);
    this.readout = h("div", { "class": "readout", id: "readout", text: "" });
    app.append(this.readout);
    var chartBox = h("div", { "class": "chart", id: "timeline" });
    app.append(h("div", { "class": "chart-row" }, [chartBox, this.legend()]));
    var lost = this.lostLine();
    if (lost) app.append(lost);  // append(null) would write the word null on the page
    this.pending = h("div", { id: "pending" });
    app.append(this.pending);
    this.chart = this.makeChart(chartBox);
    this.panels = h("div", { id: "panels" });
    app.append(this.panels);
    this.renderPanels();
    document.getElementById("note").textContent = n.note;
    window.addEventListener("resize", function () {
      self.chart.setSize({ width: chartBox.clientWidth, height: HEIGHT });
    });
  };

  // The stretches without signal in words, under the timeline: each one, or the longest of many.
  NightPage.prototype.lostLine = function () {
    var lost = this.night.signal_lost || [];
    if (!lost.length) return null;
    var say = function (b) { return b.onset_clock + " to " + b.offset_clock + " (" + b.duration + "): " + b.why; };
    var shown = lost.length <= 4 ? lost : [lost.slice().sort(function (a, b) {
      return (b.offset_s - b.onset_s) - (a.offset_s - a.onset_s); })[0]];
    var head = lost.length <= 4 ? "No signal: " : "No signal " + lost.length + " times; the longest: ";
    return h("div", { "class": "lost quiet", id: "lost" }, [h("span", { "class": "sw lost" }), " " + head,
      h("span", { text: shown.map(say).join("; ") + "." }),
      h("span", { text: " Nothing can be found in these stretches: a cramp then is missed, not ruled out." })]);
  };

  NightPage.prototype.figures = function () {
    var c = this.night.counts, lab = this.night.labels;
    var kids = [
      h("span", {}, [h("b", { id: "n-cramps", text: String(c.cramps) }), plural(c.cramps, " cramp")]),
      h("span", {}, [h("b", { id: "n-possible", text: String(c.possible_cramps) }), " ",
        tip(plural(c.possible_cramps, "possible cramp"), "bursts that may be a cramp or a look-alike: listed, not counted")]),
      h("span", {}, [h("b", { id: "n-lm", text: String(c.leg_movements) }), " ",
        tip(plural(c.leg_movements, "leg movement"), "leg movements (LM), scored by the AASM rules"), ", ",
        h("b", { text: String(c.plm) }), " of them ",
        tip("periodic", "periodic leg movements (PLM): 4 or more, 5 to 90 s apart")]),
    ];
    if (lab) {
      kids.push(h("span", { id: "n-labels" }, ["your answers: ", h("b", { text: String(lab.confirmed) }),
        " confirmed, ", h("b", { text: String(lab.not_cramp) }), " not a cramp, ",
        h("b", { text: String(lab.unsure) }), " not sure, ", h("b", { text: String(lab.missed) }), " added"]));
    }
    return h("div", { "class": "figures", id: "figures" }, kids);
  };

  NightPage.prototype.makeToolbar = function () {
    var self = this;
    var kids = [h("button", { type: "button", id: "whole", text: "Whole night", onclick: function () { self.zoom(); } })];
    if (!boot.static) {
      this.markButton = h("button", { type: "button", "class": "mark", id: "mark", "aria-pressed": "false",
        text: "Mark a missed cramp", onclick: function () { self.setMarking(!self.marking); } });
      kids.push(this.markButton);
    }
    this.hint = h("span", { "class": "quiet", id: "hint" });
    kids.push(this.hint);
    var bar = h("div", { "class": "toolbar" }, kids);
    this.setHint();
    return bar;
  };

  NightPage.prototype.setHint = function () {
    this.hint.textContent = this.marking
      ? "Drag across the time of the cramp you felt and the detector missed."
      : "Drag across the timeline to zoom in; double-click for the whole night; click a band for its details.";
  };

  NightPage.prototype.setMarking = function (on) {
    this.marking = on;
    this.markButton.setAttribute("aria-pressed", String(on));
    this.chart.cursor.drag.setScale = !on;
    this.setHint();
  };

  NightPage.prototype.legend = function () {
    var on = this.night.on_ratio;
    function item(sw, text, title) {
      return h("div", { title: title }, [sw, h("span", { text: text })]);
    }
    function sw(cls, color) {
      var s = h("span", { "class": "sw " + cls });
      if (cls === "line" || cls === "dash") s.style.borderTopColor = color; else if (color) s.style.background = color;
      return s;
    }
    return h("div", { "class": "legend", id: "legend" }, [
      h("h3", { text: "What you see" }),
      item(sw("line", COL.level), "muscle activity", "the calf muscle's electrical activity (EMG envelope, " +
        "0.5-s RMS) as a multiple of your own level at rest"),
      item(sw("dash", COL.rest), "your rest level (1 \u00d7)", "the level of the muscle at rest this night"),
      item(sw("dash", COL.cramp), "burst level (" + on + " \u00d7 rest)", "activity above this is a burst the " +
        "detector weighs (its ON threshold); most bursts are no cramp: it is the whole burst that decides"),
      item(sw("fill", FILL.cramp), "cramp (numbered)", "a cramp the detector counted"),
      item(sw("fill", FILL.possible_cramp), "possible cramp", "a burst that may be a cramp or a look-alike: " +
        "listed, not counted"),
      item(sw("fill", FILL.missed), "cramp you added (+)", "a cramp you marked that the detector missed"),
      item(sw("tick", COL.lm), "leg movement", "leg movements (LM), in the strip under the trace"),
      item(sw("tick", COL.plm), "periodic leg movement", "periodic leg movements (PLM): part of a series"),
      item(sw("tick", COL.warning), "pre-cramp warning", "rising tension or twitching before a possible cramp"),
      item(sw("lost", null), "signal lost" + (this.night.signal_lost_text ? " (" + this.night.signal_lost_text + ")" : ""),
        "no signal: nothing came from the sensor, or a flat line (an electrode off). Not an event: " +
        "nothing can be found there"),
      h("div", {}, [h("span", { "class": "quiet", text: "Your answer on each number: \u2713 a cramp, " +
        "\u2717 not a cramp, ? not sure" })]),
    ]);
  };

  NightPage.prototype.makeChart = function (box) {
    var self = this, tl = this.timeline, on = this.night.on_ratio;
    var plotH = HEIGHT - ROWS * ROW_H - 8 - 50;
    var series = [{}].concat(this.night.channels.map(function (c, k) {
      return { label: c, stroke: k ? ["#8c564b", "#17becf", "#7f7f7f"][(k - 1) % 3] : COL.level, width: 1,
               points: { show: false }, spanGaps: false };
    }));
    var opts = {
      width: box.clientWidth || 900, height: HEIGHT, padding: [ROWS * ROW_H + 8, 28, 0, 0],
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      legend: { show: false },
      scales: {
        x: { time: true, auto: false },
        y: { range: function (u, lo, hi) {
          var top = Math.max(hi || 0, on * 1.6) * 1.08, frac = LANE_H / plotH;
          return [-top * frac / (1 - frac), top];
        } },
      },
      axes: [
        { values: this.clock.axis(this.clock), space: 70, label: this.clock.known ? "clock time" : "time since the start" },
        { label: "muscle activity, \u00d7 your rest", size: 58,
          values: function (u, splits) { return splits.map(function (v) { return v < 0 ? "" : String(+v.toFixed(1)); }); } },
      ],
      series: series,
      cursor: { points: { show: false }, drag: { x: true, y: false, setScale: true },
                bind: { dblclick: function () { return function () { self.zoom(); return null; }; } } },
      hooks: {
        drawAxes: [function (u) { self.drawBands(u); }],
        draw: [function (u) { self.drawOver(u); }],
        // New points once uPlot has finished this change of view (setData inside its own commit is lost).
        setScale: [function (u, key) { if (key === "x") setTimeout(function () { self.refill(u); }, 0); }],
        setCursor: [function (u) { self.showReadout(u); }],
        setSelect: [function (u) { self.selected(u); }],
      },
    };
    var w = tl.window(this.clock.x0, tl.end);
    this.win = w;
    var u = new uPlot(opts, w.data, box);
    this.zoom();
    this.clickToPanel(u);
    return u;
  };

  NightPage.prototype.zoom = function (on, off) {
    var u = this.chart || null, tl = this.timeline;
    var min = on === undefined ? this.clock.x0 : this.abs(on), max = off === undefined ? tl.end : this.abs(off);
    if (u) u.setScale("x", { min: min, max: max });
  };

  // A new view: new points when it leaves the window drawn, or needs another resolution.
  NightPage.prototype.refill = function (u) {
    if (this.filling) return;
    var min = u.scales.x.min, max = u.scales.x.max, w = this.timeline.window(min, max);
    if (this.win && w.lvl === this.win.lvl && min >= this.win.lo && max <= this.win.hi) return;
    this.win = w;
    this.filling = true;
    u.setData(w.data);  // the x scale is not auto: it keeps the view, and the y scale fits the new points
    this.filling = false;
  };

  NightPage.prototype.spans = function () {
    var self = this;
    return this.night.events.map(function (e) { return { on: self.abs(e.onset_s), off: self.abs(e.offset_s), e: e }; });
  };

  NightPage.prototype.drawBands = function (u) {
    var self = this;
    this.lostDrawn = [];  // what was hatched, in canvas pixels: read by the tests against the data served
    (this.night.signal_lost || []).forEach(function (b) {
      var px = shade(u, self.abs(b.onset_s), self.abs(b.offset_s));
      if (px) self.lostDrawn.push({ onset_s: b.onset_s, offset_s: b.offset_s, x0: px[0], x1: px[1] });
    });
    this.spans().forEach(function (s) { band(u, s.on, s.off, FILL[s.e.tier]); });
    this.night.missed.forEach(function (m) { band(u, self.abs(m.onset_s), self.abs(m.offset_s), FILL.missed); });
    hline(u, 1, COL.rest, [6, 4]);
    hline(u, this.night.on_ratio, COL.cramp, [6, 4]);
    hline(u, 0, "#bbb", []);
  };

  NightPage.prototype.drawOver = function (u) {
    var self = this, items = [], b = u.bbox;
    this.spans().forEach(function (s) {
      var x0 = u.valToPos(s.on, "x", true), x1 = u.valToPos(s.off, "x", true);
      if (x1 < b.left || x0 > b.left + b.width) return;
      var a = s.e.answer ? MARK[s.e.answer.label] : "";
      items.push({ x: (Math.max(x0, b.left) + Math.min(x1, b.left + b.width)) / 2, text: s.e.n + a,
                   color: s.e.tier === "cramp" ? COL.cramp : COL.possible });
    });
    this.night.missed.forEach(function (m, k) {
      var x = u.valToPos(self.abs((m.onset_s + m.offset_s) / 2), "x", true);
      if (x >= b.left && x <= b.left + b.width) items.push({ x: x, text: "+" + (k + 1), color: COL.missed });
    });
    labels(u, items);
    var abs = function (p) { return [self.abs(p[0]), self.abs(p[1])]; };
    ticks(u, this.night.movements.filter(function (m) { return !m[2]; }).map(abs), COL.lm, 0);
    ticks(u, this.night.movements.filter(function (m) { return m[2]; }).map(abs), COL.plm, 0);
    ticks(u, this.night.warnings.map(abs), COL.warning, 1);
  };

  NightPage.prototype.eventAt = function (x) {
    return this.spans().filter(function (s) { return s.on <= x && x <= s.off; })[0];
  };

  NightPage.prototype.lostAt = function (x) {
    var t = x - this.clock.x0;
    return (this.night.signal_lost || []).some(function (b) { return b.onset_s <= t && t <= b.offset_s; });
  };

  NightPage.prototype.showReadout = function (u) {
    var i = u.cursor.idx;
    if (i === null || i === undefined || u.cursor.left < 0) { this.readout.textContent = ""; return; }
    var x = u.data[0][i], y = u.data[1][i], s = this.eventAt(x);
    this.readout.textContent = this.clock.text(x, true) + "  \u00b7  " +
      (y === null || this.lostAt(x) ? "no signal" : y.toFixed(1) + " \u00d7 rest") +
      (s ? "  \u00b7  #" + s.e.n + " " + (s.e.tier === "cramp" ? "cramp" : "possible cramp") : "");
  };

  NightPage.prototype.clickToPanel = function (u) {
    var self = this, down = null;
    u.over.addEventListener("mousedown", function (ev) { down = ev.clientX; });
    u.over.addEventListener("mouseup", function (ev) {
      if (down === null || Math.abs(ev.clientX - down) > 3 || self.marking) return;
      var s = self.eventAt(u.posToVal(ev.offsetX, "x"));
      var panel = s && document.getElementById("event-" + s.e.n);
      if (s && !panel) {  // a possible cramp not shown yet
        self.allPossible = true;
        self.renderPanels();
        panel = document.getElementById("event-" + s.e.n);
      }
      if (panel) panel.scrollIntoView({ behavior: "smooth", block: "center" });
    });
  };

  NightPage.prototype.selected = function (u) {
    if (!this.marking || u.select.width < 3) return;
    var on = u.posToVal(u.select.left, "x") - this.clock.x0;
    var off = u.posToVal(u.select.left + u.select.width, "x") - this.clock.x0;
    u.setSelect({ left: u.select.left, width: u.select.width, top: 0, height: u.select.height }, false);
    this.askMissed(Math.max(0, on), off);
  };

  NightPage.prototype.askMissed = function (on, off) {
    var self = this, hit = this.night.events.filter(function (e) { return e.onset_s < off && on < e.offset_s; })[0];
    this.pending.textContent = "";
    var close = function () { self.pending.textContent = ""; self.chart.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false); };
    if (hit) {
      this.pending.append(h("div", { "class": "pending" }, [
        "That stretch holds event #" + hit.n + ": answer it with its buttons below. ",
        h("button", { type: "button", text: "OK", onclick: close })]));
      return;
    }
    var span = this.clock.text(this.abs(on), true) + " to " + this.clock.text(this.abs(off), true);
    this.pending.append(h("div", { "class": "pending", id: "pending-mark" }, [
      "Mark " + span + " as a cramp the detector missed? ",
      h("button", { type: "button", id: "save-mark", text: "Save", onclick: function () {
        self.answer(on, off, "cramp").then(close);
      } }), " ", h("button", { type: "button", text: "Cancel", onclick: close })]));
  };

  NightPage.prototype.answer = function (on, off, label) {
    var self = this;
    return api("/api/night/" + boot.night + "/label", { onset_s: on, offset_s: off, label: label })
      .then(function (night) {
        self.night = night;
        var fig = document.getElementById("figures");
        fig.replaceWith(self.figures());
        self.renderPanels();
        self.chart.redraw(false, false);
      })
      .catch(function (e) { self.pending.textContent = ""; self.pending.append(h("p", { "class": "error", text: "Not saved: " + e.message })); });
  };

  NightPage.prototype.renderPanels = function () {
    var self = this, n = this.night;
    this.panels.textContent = "";
    this.panels.append(h("h2", { text: n.events.length ? "Each cramp and possible cramp" : "No cramp or possible cramp this night" }));
    var grid = h("div", { "class": "events" });
    this.panels.append(grid);
    var hidden = this.allPossible ? [] : n.events.filter(function (e) { return e.tier !== "cramp"; })
      .sort(function (a, b) { return (b.probability || 0) - (a.probability || 0); }).slice(POSSIBLE_SHOWN);
    var skip = {};
    hidden.forEach(function (e) { skip[e.n] = true; });
    n.events.forEach(function (e) { if (!skip[e.n]) grid.append(self.panel(e)); });
    if (hidden.length) {
      this.panels.append(h("button", { type: "button", id: "more-possible", text: "Show the other " + hidden.length +
        " possible cramps (probability " + (hidden[0].probability || 0) + " or less)",
        onclick: function () { self.allPossible = true; self.renderPanels(); } }));
    }
    if (n.missed.length) {
      this.panels.append(h("h2", { text: "Cramps you added" }));
      n.missed.forEach(function (m, k) {
        self.panels.append(h("div", { "class": "marked", id: "missed-" + (k + 1) }, [
          h("b", { text: "+" + (k + 1) + " " }), m.onset_clock + " to " + m.offset_clock + " (" + m.duration + ") ",
          boot.static ? null : h("button", { type: "button", text: "Remove", title: "saved as not a cramp",
            onclick: function () { self.answer(m.onset_s, m.offset_s, "not_cramp"); } })]));
      });
    }
  };

  NightPage.prototype.panel = function (e) {
    var self = this, cramp = e.tier === "cramp";
    var dl = h("dl", {}, [
      h("dt", { text: "when" }), h("dd", { text: e.onset_clock + " to " + e.offset_clock }),
      h("dt", { text: "how long" }), h("dd", { text: e.duration + " (min:s)" }),
      h("dt", { text: "strength" }), h("dd", {}, [tip(e.strength_text, e.x_rest === null ?
        "its samples were not stored: the level it was alerted at, " + e.peak_uv + " \u00b5V RMS, is all that is known" :
        "peak level " + e.peak_uv + " \u00b5V RMS: " + e.x_rest + " times your level at rest (peak \u00d7 rest)")]),
      h("dt", { text: "kind" }), h("dd", {}, [tip(e.kind, e.kind_tip)]),
    ]);
    if (e.spectrum) dl.append(h("dt", { text: "frequency" }), h("dd", {}, [tip(e.spectrum[0], e.spectrum[1])]));
    if (e.probability !== null && e.probability !== undefined) {  // how sure, on every event: a cramp is not certain
      dl.append(h("dt", { text: "how sure" }), h("dd", {}, [tip(Math.round(100 * e.probability) + " % a cramp",
        "the decision's probability that it was a cramp: " + e.probability)]));
    }
    if (!cramp) dl.append(h("dt", { text: "not counted" }), h("dd", { text: e.reason }));
    var mini = h("div", { "class": "mini" });
    var kids = [h("h3", {}, [h("span", { "class": "num", text: String(e.n) }),
      cramp ? "Cramp" : "Possible cramp (not counted)"]), dl, mini];
    if (!boot.static) kids.push(this.buttons(e));
    else if (e.answer) kids.push(h("p", { "class": "said", text: "Your answer: " + SAID[e.answer.label] }));
    var card = h("section", { "class": "event " + e.tier, id: "event-" + e.n }, kids);
    requestAnimationFrame(function () { self.miniChart(mini, e); });
    return card;
  };

  NightPage.prototype.buttons = function (e) {
    var self = this, given = e.answer ? e.answer.label : null;
    var b = function (label, text) {
      return h("button", { type: "button", "class": "answer-" + label, "aria-pressed": String(given === label),
        text: text, onclick: function () { self.answer(e.onset_s, e.offset_s, label); } });
    };
    var said = given ? "Your answer: " + SAID[given] + " (" + e.answer.given_at.replace("T", " ") + ")" : "Was it a cramp?";
    return h("div", { "class": "answer" }, [b("cramp", "Cramp"), b("not_cramp", "Not a cramp"), b("unsure", "Not sure"),
      h("span", { "class": "said", text: said })]);
  };

  NightPage.prototype.miniChart = function (box, e) {
    var self = this, pad = Math.max(15, 0.3 * (e.offset_s - e.onset_s));
    var min = this.abs(Math.max(0, e.onset_s - pad)), max = this.abs(e.offset_s + pad);
    var w = this.timeline.window(min, max, 2500), on = this.abs(e.onset_s), off = this.abs(e.offset_s);
    var opts = {
      width: box.clientWidth || 380, height: 150, legend: { show: false }, cursor: { show: false },
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      scales: { x: { time: true, auto: false, range: function () { return [min, max]; } },
                y: { range: function (u, lo, hi) { return [0, Math.max(hi || 0, self.night.on_ratio * 1.6) * 1.08]; } } },
      axes: [{ values: this.clock.axis(this.clock), space: 60, size: 30 },
             { size: 52, values: function (u, s) { return s.map(function (v) { return +v.toFixed(1) + "\u00d7"; }); } }],
      series: [{}, { stroke: COL.level, width: 1, points: { show: false } }],
      hooks: { drawAxes: [function (u) {
        (self.night.signal_lost || []).forEach(function (b) { shade(u, self.abs(b.onset_s), self.abs(b.offset_s)); });
        band(u, on, off, FILL[e.tier]);
        hline(u, 1, COL.rest, [6, 4]);
        hline(u, self.night.on_ratio, COL.cramp, [6, 4]);
      }] },
    };
    new uPlot(opts, [w.data[0], w.data[1]], box);
  };

  // ---- many nights ----------------------------------------------------------------------------------
  function NightsPage(data) {
    this.data = data;
    this.render();
  }

  NightsPage.prototype.render = function () {
    var d = this.data, rows = d.nights, self = this;
    if (this.plot) this.plot.destroy();  // drawn again as the nights are counted: the last chart let go
    app.textContent = "";
    var facts = d.trend ? d.trend.facts.slice() : ["No night has been counted yet: open one to analyse it."];
    if (d.counting) {  // the nights are being read behind the page: show them as they come
      facts = (d.trend ? facts : []).concat(["Reading the nights: " + d.counting.read + " of " + d.counting.of + " counted so far\u2026"]);
      setTimeout(function () { api("/api/nights").then(function (n) {
        var y = window.scrollY;
        self.data = n;
        self.render();
        window.scrollTo(0, y);  // where the reader was, not the top
      }).catch(fail); }, 2000);
    }
    app.append(h("div", { "class": "facts", id: "facts" }, facts.map(function (f) { return h("p", { text: f }); })));
    app.append(h("h2", { text: "Cramps per night" }));
    var box = h("div", { "class": "chart", id: "per-night" });
    var legend = h("div", { "class": "legend" }, [
      h("div", {}, [h("span", { "class": "sw", style: "background:" + COL.cramp }), h("span", { text: "cramps found" })]),
      h("div", { title: "the cramps you confirmed, and those you added, on the nights you answered" },
        [h("span", { "class": "sw", style: "background:" + COL.confirmed }), h("span", { text: "cramps you confirmed" })]),
      h("div", {}, [h("span", { "class": "quiet", text: "Click a bar to open that night." })]),
    ]);
    app.append(h("div", { "class": "chart-row" }, [box, legend]));
    this.chart(box);
    app.append(h("h2", { text: "Calendar" }));
    app.append(h("div", { "class": "chart-row" }, [this.calendar(), this.calendarLegend()]));
    var table = h("table", { "class": "nights", id: "nights" }, [h("tr", {}, ["night", "cramps found", "possible cramps",
      "longest", "you confirmed"].map(function (t) { return h("th", { text: t }); }))]);
    rows.forEach(function (r) {
      var num = function (v, t) { return h("td", { "class": "n", text: v === null ? "\u2013" : String(v), title: t }); };
      table.append(h("tr", {}, [h("td", {}, [h("a", { href: url("/night/" + r.k), text: r.date })]),
        num(r.cramps, r.unread ? "could not be read: " + r.unread : r.cramps === null ? "not analysed yet: open the night" : null),
        num(r.possible),
        h("td", { text: r.longest || "" }), num(r.confirmed, r.confirmed === null ? "not answered yet" : null)]));
    });
    app.append(table);
    document.getElementById("note").textContent = d.note;
  };

  NightsPage.prototype.chart = function (box) {
    var rows = this.data.nights, xs = rows.map(function (r) { return r.k; });
    var bars = function (align) { return uPlot.paths.bars({ size: [0.38, 40], align: align }); };
    var opts = {
      width: box.clientWidth || 900, height: 260, legend: { show: false },
      scales: { x: { time: false, range: function () { return [-0.6, rows.length - 0.4]; } },
                y: { range: function (u, lo, hi) { return [0, Math.max(3, (hi || 0) + 1)]; } } },
      axes: [{ space: 70, splits: function (u) {  // one date per ~110 px: never two labels on one another
                 var step = Math.max(1, Math.ceil(rows.length * 110 / Math.max(u.bbox.width / devicePixelRatio, 1)));
                 return xs.filter(function (x, i) { return i % step === 0; });
               },
               values: function (u, s) { return s.map(function (i) { return rows[i] ? rows[i].date : ""; }); } },
             { label: "cramps", size: 50, values: function (u, s) { return s.map(function (v) { return v % 1 ? "" : String(v); }); } }],
      series: [{}, { label: "cramps found", fill: COL.cramp, stroke: COL.cramp, paths: bars(-1), points: { show: false } },
               { label: "cramps you confirmed", fill: COL.confirmed, stroke: COL.confirmed, paths: bars(1), points: { show: false } }],
      cursor: { drag: { x: false, y: false }, points: { show: false } },
    };
    var u = this.plot = new uPlot(opts, [xs, rows.map(function (r) { return r.cramps; }), rows.map(function (r) { return r.confirmed; })], box);
    u.over.addEventListener("click", function () {
      var i = Math.round(u.posToVal(u.cursor.left, "x"));
      if (i >= 0 && i < rows.length) location.href = url("/night/" + rows[i].k);
    });
    u.over.style.cursor = "pointer";
  };

  // ---- the calendar: a month grid, a cell per date, the cramps found that night (nights of one date summed) ----
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"];
  var WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  // Cell colours by the date's cramps (review.css .day.c0 … .c3), each in the legend beside the calendar.
  var SHADES = [["c0", "no cramps"], ["c1", "1 cramp"], ["c2", "2 cramps"], ["c3", "3 or more"],
                ["unknown", "not counted yet: open the night"], ["none", "no night recorded"]];

  NightsPage.prototype.calendar = function () {
    var byDay = {};
    this.data.nights.forEach(function (r) { if (r.day) (byDay[r.day] = byDay[r.day] || []).push(r); });
    var days = Object.keys(byDay).sort(), box = h("div", { "class": "calendar", id: "calendar" });
    // A file without a start time has no date: its file's age would put it on a day it was not recorded.
    var undated = this.data.nights.filter(function (r) { return !r.day; }).length;
    if (undated) box.append(h("p", { "class": "quiet", id: "undated", text: undated + (undated === 1 ? " night has" :
      " nights have") + " no recording date (the file holds no start time): in the table below, not on the calendar." }));
    if (!days.length) return box;
    var y = +days[0].slice(0, 4), m = +days[0].slice(5, 7) - 1;
    var endY = +days[days.length - 1].slice(0, 4), endM = +days[days.length - 1].slice(5, 7) - 1;
    for (; y < endY || (y === endY && m <= endM); m = (m + 1) % 12, y += m === 0 ? 1 : 0) box.append(this.month(y, m, byDay));
    return box;
  };

  NightsPage.prototype.month = function (y, m, byDay) {
    var table = h("table", { "class": "month" }, [h("caption", { text: MONTHS[m] + " " + y }),
      h("tr", {}, WEEKDAYS.map(function (d) { return h("th", { text: d }); }))]);
    var lead = (new Date(Date.UTC(y, m, 1)).getUTCDay() + 6) % 7, n = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    var row = h("tr", {}, []);
    for (var i = 0; i < lead; i++) row.append(h("td", { "class": "pad" }));
    for (var d = 1; d <= n; d++) {
      var key = y + "-" + pad2(m + 1) + "-" + pad2(d);
      row.append(this.day(d, key, byDay[key]));
      if ((lead + d) % 7 === 0 || d === n) { table.append(row); row = h("tr", {}, []); }
    }
    return table;
  };

  NightsPage.prototype.day = function (d, key, nights) {
    var num = h("span", { "class": "dn", text: String(d) });
    if (!nights) return h("td", { "class": "day none", "data-day": key, title: "no night recorded" }, [num]);
    var known = nights.filter(function (r) { return r.cramps !== null; });
    var sum = known.reduce(function (a, r) { return a + r.cramps; }, 0), open = known.length < nights.length;
    var shade = known.length ? "c" + Math.min(sum, 3) : "unknown";
    var text = known.length ? String(sum) + (open ? "+?" : "") : "?";
    var title = nights[0].date + ": " + (known.length ? sum + (sum === 1 ? " cramp" : " cramps") + " found" : "not counted yet") +
      (nights.length > 1 ? " over " + nights.length + " nights (a click opens the first; the table lists each)" : "") +
      (open && known.length ? "; " + (nights.length - known.length) + " not counted yet" : "");
    var link = h("a", { href: url("/night/" + nights[0].k), text: text, "aria-label": title });
    return h("td", { "class": "day " + shade, "data-day": key, "data-cramps": known.length ? sum : "",
                     "data-nights": nights.length, title: title, onclick: function () { link.click(); } }, [num, link]);
  };

  NightsPage.prototype.calendarLegend = function () {
    return h("div", { "class": "legend", id: "calendar-legend" }, [h("h3", { text: "Cramps found that night" })]
      .concat(SHADES.map(function (s) {
        return h("div", { "data-shade": s[0] }, [h("span", { "class": "sw day " + s[0] }), h("span", { text: s[1] })]);
      }))
      .concat([h("div", {}, [h("span", { "class": "quiet", text: "Two nights of one date are added together. " +
        "Click a day to open its night." })])]));
  };

  // ---- start ----------------------------------------------------------------------------------------
  function fail(e) {
    app.textContent = "";
    app.append(h("p", { "class": "error", id: "error", text: "This night cannot be shown: " + e.message }));
  }

  function start() {
    heartbeat();
    if (boot.many && boot.mode === "night") {
      document.getElementById("back").append(h("a", { href: url("/"), text: "\u2190 all nights" }));
    }
    if (boot.mode === "nights") { api("/api/nights").then(function (d) { new NightsPage(d); }).catch(fail); return; }
    if (boot.static) {
      var bin = atob(boot.levels_b64), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      window.review = new NightPage(boot.night_data, bytes.buffer);
      return;
    }
    var k = boot.night;
    Promise.all([api("/api/night/" + k), fetch(url("/api/night/" + k + "/levels")).then(function (r) {
      if (!r.ok) throw new Error("the server answered " + r.status);
      return r.arrayBuffer();
    })]).then(function (both) { window.review = new NightPage(both[0], both[1]); }).catch(fail);
  }

  start();
})();
