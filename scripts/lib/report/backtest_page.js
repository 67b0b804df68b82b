// Browser script of the HTML backtest report (inlined into the page by backtest_html.ts after the
// lightweight-charts standalone build, which defines globalThis.LightweightCharts). It reads the JSON of
// the element #report-data (shape: { datasets: ChartData[] }, see backtest_chart_data.ts) and draws
// one chart per dataset: candles with trade markers and train/test bands, then panes for strategy
// equity, buy-and-hold and drawdown on the same time axis. Hovering a trade (or picking one with the
// buttons or the trade table) draws its entry, stop and targets. No network access.
//
// globalThis.backtestReport = { ready, datasets: [{ chart, shownTrade(), tradePoint(k), ... }] } is
// there for debugging and for the browser test.

(() => {
  "use strict";
  const LWC = globalThis.LightweightCharts;

  // Okabe & Ito (2008) colour-blind-safe palette; every marker also differs by shape and text.
  const C = {
    long: "#0072B2", // blue
    short: "#E69F00", // orange
    target: "#009E73", // bluish green
    stop: "#D55E00", // vermillion
    other: "#6b6b6b", // grey
    equity: "#0072B2",
    hold: "#6b6b6b",
    drawdown: "#D55E00",
    upBody: "#ffffff",
    up: "#26a69a",
    down: "#ef5350",
  };
  const EXIT_STYLE = {
    tp1: { shape: "circle", color: C.target, text: "TP1" },
    tp2: { shape: "circle", color: C.target, text: "TP2" },
    tp3: { shape: "circle", color: C.target, text: "TP3" },
    stop: { shape: "square", color: C.stop, text: "SL" },
    "break-even": { shape: "square", color: C.other, text: "BE" },
    time: { shape: "circle", color: C.other, text: "Time" },
    reverse: { shape: "circle", color: C.other, text: "Rev" },
    end: { shape: "circle", color: C.other, text: "End" },
  };
  const EXIT_NAME = {
    tp1: "TP1",
    tp2: "TP2",
    tp3: "TP3",
    stop: "stop loss",
    "break-even": "break-even stop",
    time: "time stop",
    reverse: "opposite signal",
    end: "end of data",
  };
  /** Above this many visible bars markers lose their text (they would overlap). */
  const TEXT_MAX_BARS = 260;

  const isoMinute = (sec) => new Date(sec * 1000).toISOString().slice(0, 16).replace("T", " ");
  const fixed = (v, d) => (Number.isFinite(v) ? v.toFixed(d) : "-");
  const signed = (v, d) => (v > 0 ? "+" : v < 0 ? "−" : "") + Math.abs(v).toFixed(d);
  /** x of a (possibly fractional) logical index: the library's own call only takes whole bars. */
  const xOf = (ts, logical) => {
    const i = Math.floor(logical);
    const a = ts.logicalToCoordinate(i);
    const b = ts.logicalToCoordinate(i + 1);
    return a === null || b === null ? null : a + (logical - i) * (b - a);
  };
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  /** Background bands for the train (not reported) and test parts, with fold labels on top. */
  class PartBands {
    constructor(data, labels) {
      this.bands = [];
      const tests = data.parts.filter((p) => p.kind === "test");
      if (tests.length) {
        const first = tests[0].start;
        this.bands.push({
          start: 0,
          end: first,
          fill: "rgba(120,120,120,0.10)",
          labels: ["training only (in-sample, not reported)", "training only", "train"],
          line: false,
        });
        tests.forEach((p, i) => {
          this.bands.push({
            start: p.start,
            end: p.end,
            fill: i % 2 ? "rgba(0,114,178,0.07)" : "rgba(0,114,178,0.025)",
            labels: [`${p.name}: ${p.summary}`, p.name, p.name.replace(/ test$/, "")],
            line: true,
          });
        });
      }
      this.labels = labels;
      this.view = { zOrder: () => "bottom", renderer: () => this };
      this.views = [this.view];
    }
    attached(param) {
      this.chart = param.chart;
    }
    paneViews() {
      return this.views;
    }
    draw() {}
    drawBackground(target) {
      if (!this.chart || !this.bands.length) return;
      const ts = this.chart.timeScale();
      target.useMediaCoordinateSpace(({ context: ctx, mediaSize }) => {
        ctx.font = "11px system-ui, sans-serif";
        for (const b of this.bands) {
          const x1 = xOf(ts, b.start - 0.5);
          const x2 = xOf(ts, b.end - 0.5);
          if (x1 === null || x2 === null || x2 < 0 || x1 > mediaSize.width) continue;
          ctx.fillStyle = b.fill;
          ctx.fillRect(x1, 0, x2 - x1, mediaSize.height);
          if (b.line) {
            ctx.strokeStyle = "rgba(0,0,0,0.35)";
            ctx.setLineDash([4, 3]);
            ctx.beginPath();
            ctx.moveTo(Math.round(x1) + 0.5, 0);
            ctx.lineTo(Math.round(x1) + 0.5, mediaSize.height);
            ctx.stroke();
            ctx.setLineDash([]);
          }
          if (this.labels) {
            // Bottom left of the band (the top carries the legend): the longest label that fits.
            const left = Math.max(x1, 0) + 5;
            const room = Math.min(x2, mediaSize.width) - left - 5;
            const text = b.labels.find((l) => ctx.measureText(l).width <= room);
            if (text) {
              ctx.textBaseline = "bottom";
              ctx.fillStyle = "rgba(40,40,40,0.85)";
              ctx.fillText(text, left, mediaSize.height - 4);
            }
          }
        }
      });
    }
  }

  /** The shown trade's entry, stop and targets as zones over its lifetime, labelled at the right. */
  class TradeBox {
    constructor(data) {
      this.data = data;
      this.trade = null;
      this.view = { zOrder: () => "normal", renderer: () => this };
      this.views = [this.view];
    }
    attached(param) {
      this.chart = param.chart;
      this.series = param.series;
      this.requestUpdate = param.requestUpdate;
    }
    paneViews() {
      return this.views;
    }
    /** Shows `trade` (null: none); a `fit` trade is kept inside the price scale. */
    show(trade, fit) {
      if (trade === this.trade && fit === this.fit) return;
      this.trade = trade;
      this.fit = fit;
      this.requestUpdate?.();
    }
    autoscaleInfo() {
      const t = this.fit ? this.trade : null;
      if (!t) return null;
      const levels = [t.entry, t.stopLoss, ...t.takeProfits];
      return {
        priceRange: { minValue: Math.min(...levels), maxValue: Math.max(...levels) },
      };
    }
    draw(target) {
      const t = this.trade;
      if (!t || !this.chart) return;
      const ts = this.chart.timeScale();
      const y = (p) => this.series.priceToCoordinate(p);
      let x1 = xOf(ts, t.entryBar - 0.5);
      let x2 = xOf(ts, t.exitBar + 0.5);
      if (x1 === null || x2 === null) return;
      if (x2 - x1 < 8) {
        const mid = (x1 + x2) / 2;
        x1 = mid - 4;
        x2 = mid + 4;
      }
      const yE = y(t.entry), yS = y(t.stopLoss), yT = t.takeProfits.map(y);
      if (yE === null || yS === null || yT.some((v) => v === null)) return;
      const d = this.data.priceDecimals;
      target.useMediaCoordinateSpace(({ context: ctx, mediaSize }) => {
        ctx.fillStyle = "rgba(213,94,0,0.16)";
        ctx.fillRect(x1, Math.min(yE, yS), x2 - x1, Math.abs(yS - yE));
        ctx.fillStyle = "rgba(0,158,115,0.13)";
        ctx.fillRect(x1, Math.min(yE, yT[2]), x2 - x1, Math.abs(yT[2] - yE));
        const line = (yy, color, width, dash) => {
          ctx.strokeStyle = color;
          ctx.lineWidth = width;
          ctx.setLineDash(dash);
          ctx.beginPath();
          ctx.moveTo(x1, yy);
          ctx.lineTo(x2, yy);
          ctx.stroke();
        };
        line(yE, t.direction === "long" ? C.long : C.short, 2, []);
        line(yS, C.stop, 2, []);
        yT.forEach((v) => line(v, C.target, 1.5, [5, 3]));
        ctx.setLineDash([]);
        ctx.font = "bold 11px system-ui, sans-serif";
        ctx.textBaseline = "middle";
        // A level outside the pane keeps its label at the edge, with an arrow pointing to it.
        const label = (level, text, color) => {
          const yy = Math.max(10, Math.min(mediaSize.height - 10, level));
          if (yy !== level) text = `${level < yy ? "↑" : "↓"} ${text}`;
          const w = ctx.measureText(text).width + 8;
          const x = x2 + 12; // clear of the exit marker on the last bar
          ctx.fillStyle = "rgba(255,255,255,0.9)";
          ctx.fillRect(x, yy - 8, w, 16);
          ctx.strokeStyle = color;
          ctx.lineWidth = 1;
          ctx.strokeRect(x + 0.5, yy - 7.5, w - 1, 15);
          ctx.fillStyle = color;
          ctx.fillText(text, x + 4, yy);
        };
        label(yE, `entry ${fixed(t.entry, d)}`, t.direction === "long" ? C.long : C.short);
        label(yS, `SL ${fixed(t.stopLoss, d)}`, C.stop);
        yT.forEach((v, i) => label(v, `TP${i + 1} ${fixed(t.takeProfits[i], d)}`, C.target));
      });
    }
  }

  function tradeMarkers(data, withText) {
    const out = [];
    data.trades.forEach((t, k) => {
      const long = t.direction === "long";
      out.push({
        time: data.time[t.entryBar],
        position: long ? "belowBar" : "aboveBar",
        shape: long ? "arrowUp" : "arrowDown",
        color: long ? C.long : C.short,
        text: withText ? (long ? "Long" : "Short") : "",
        id: `t${k}`,
      });
      // Exits sit at their fill price; several on one bar (e.g. TP1 and TP2) become one marker.
      const byBar = new Map();
      for (const f of t.exits) {
        const prev = byBar.get(f.bar);
        byBar.set(
          f.bar,
          prev ? { ...f, text: `${prev.text}+${EXIT_STYLE[f.reason].text}` } : {
            ...f,
            text: EXIT_STYLE[f.reason].text,
          },
        );
      }
      for (const f of byBar.values()) {
        const st = EXIT_STYLE[f.reason];
        out.push({
          time: data.time[f.bar],
          position: "atPriceMiddle",
          price: f.price,
          shape: st.shape,
          color: st.color,
          text: withText ? f.text : "",
          id: `t${k}`,
        });
      }
    });
    return out.sort((a, b) => a.time - b.time);
  }

  function buildChart(data, block, index) {
    const container = block.querySelector(".chart");
    const d = data.priceDecimals;
    const money = {
      type: "custom",
      minMove: 0.01,
      formatter: (v) => v.toFixed(Math.abs(v) >= 1e5 ? 0 : 2),
    };
    const chart = LWC.createChart(container, {
      autoSize: true,
      layout: {
        background: { type: "solid", color: "#ffffff" },
        textColor: "#333333",
        fontSize: 12,
        fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        attributionLogo: true,
        panes: { separatorColor: "#c8c8c8", separatorHoverColor: "rgba(0,0,0,0.1)" },
      },
      grid: { vertLines: { color: "#f1f1f1" }, horzLines: { color: "#f1f1f1" } },
      rightPriceScale: { borderColor: "#cfcfcf", minimumWidth: 84 },
      timeScale: {
        borderColor: "#cfcfcf",
        timeVisible: true,
        secondsVisible: false,
        minBarSpacing: 0.02,
        rightOffset: 4,
      },
      crosshair: { mode: LWC.CrosshairMode.Normal },
      localization: { locale: "en-US", timeFormatter: (t) => `${isoMinute(t)} UTC` },
    });

    const candles = chart.addSeries(LWC.CandlestickSeries, {
      upColor: C.upBody,
      downColor: C.down,
      borderUpColor: C.up,
      borderDownColor: C.down,
      wickUpColor: C.up,
      wickDownColor: C.down,
      priceLineVisible: false,
      lastValueVisible: false,
      priceFormat: { type: "price", precision: d, minMove: 10 ** -d },
    }, 0);
    candles.setData(data.time.map((time, i) => ({
      time,
      open: data.open[i],
      high: data.high[i],
      low: data.low[i],
      close: data.close[i],
    })));

    const rs = data.reportStart;
    const line = (values) => values.map((value, i) => ({ time: data.time[rs + i], value }));
    const equity = chart.addSeries(LWC.LineSeries, {
      color: C.equity,
      lineWidth: 2,
      priceLineVisible: false,
      priceFormat: money,
    }, 1);
    equity.setData(line(data.equity));
    const hold = chart.addSeries(LWC.LineSeries, {
      color: C.hold,
      lineWidth: 2,
      priceLineVisible: false,
      priceFormat: money,
    }, 2);
    hold.setData(line(data.buyAndHold));
    for (const s of [equity, hold]) {
      s.createPriceLine({
        price: data.initialEquity,
        color: "#9a9a9a",
        lineWidth: 1,
        lineStyle: LWC.LineStyle.Dashed,
        axisLabelVisible: false,
        title: "start",
      });
    }
    const drawdown = chart.addSeries(LWC.BaselineSeries, {
      baseValue: { type: "price", price: 0 },
      topLineColor: C.drawdown,
      bottomLineColor: C.drawdown,
      topFillColor1: "rgba(0,0,0,0)",
      topFillColor2: "rgba(0,0,0,0)",
      bottomFillColor1: "rgba(213,94,0,0.05)",
      bottomFillColor2: "rgba(213,94,0,0.35)",
      lineWidth: 2,
      priceLineVisible: false,
      // No label above zero: the margin over the 0 % line holds the legend, not drawdown.
      priceFormat: {
        type: "custom",
        minMove: 0.01,
        formatter: (v) => (v > 1e-9 ? "" : `${v.toFixed(1)}%`),
      },
      // Zero is always the top of the scale: a drawdown is never above it.
      autoscaleInfoProvider: (original) => {
        const r = original();
        if (r) r.priceRange.maxValue = 0;
        return r;
      },
    }, 3);
    drawdown.setData(line(data.drawdownPct));

    const panes = chart.panes();
    [3.2, 1.2, 1.2, 1].forEach((f, i) => panes[i].setStretchFactor(f));
    // Room at the top of each pane for its legend.
    panes[0].priceScale("right").applyOptions({ scaleMargins: { top: 0.1, bottom: 0.06 } });
    panes[1].priceScale("right").applyOptions({ scaleMargins: { top: 0.2, bottom: 0.08 } });
    panes[2].priceScale("right").applyOptions({ scaleMargins: { top: 0.2, bottom: 0.08 } });
    panes[3].priceScale("right").applyOptions({ scaleMargins: { top: 0.22, bottom: 0.05 } });

    candles.attachPrimitive(new PartBands(data, true));
    for (const s of [equity, hold, drawdown]) s.attachPrimitive(new PartBands(data, false));
    const box = new TradeBox(data);
    candles.attachPrimitive(box);

    let withText = null;
    const markers = LWC.createSeriesMarkers(candles, []);
    const refreshMarkers = () => {
      const r = chart.timeScale().getVisibleLogicalRange();
      const want = !r || r.to - r.from <= TEXT_MAX_BARS;
      if (want === withText) return;
      withText = want;
      markers.setMarkers(tradeMarkers(data, want));
    };

    // Legends: one line per pane at its top-left, values under the crosshair (else the last bar).
    const legends = panes.map(() => container.appendChild(el("div", "legend")));
    const tradeLine = block.querySelector(".trade-line");
    if (!data.trades.length) tradeLine.dataset.empty = "No trades in the reported period.";
    const placeLegends = () => {
      const top = container.getBoundingClientRect().top;
      panes.forEach((p, i) => {
        const h = p.getHTMLElement();
        if (h) legends[i].style.top = `${h.getBoundingClientRect().top - top + 4}px`;
      });
    };
    const pctFrom = (v) => signed((v / data.initialEquity - 1) * 100, 2) + "%";
    const showValues = (bar) => {
      const i = Math.max(0, Math.min(data.time.length - 1, bar));
      const ohlc = ["O", "H", "L", "C"].map((k, j) =>
        `${k} ${fixed([data.open, data.high, data.low, data.close][j][i], d)}`
      );
      legends[0].replaceChildren(
        el("b", "", data.name),
        el("span", "", ` ${isoMinute(data.time[i])} UTC  ${ohlc.join("  ")}`),
      );
      const k = i - rs;
      const none = k < 0
        ? " — before the reported period"
        : k >= data.equity.length
        ? " — after the reported period"
        : null;
      legends[1].replaceChildren(
        el("b", "sw-equity", "Strategy equity"),
        el("span", "", none ?? ` ${fixed(data.equity[k], 2)} (${pctFrom(data.equity[k])})`),
      );
      legends[2].replaceChildren(
        el("b", "sw-hold", "Buy & hold"),
        el(
          "span",
          "",
          none ??
            ` ${fixed(data.buyAndHold[k], 2)} (${
              pctFrom(data.buyAndHold[k])
            }), same start, no costs`,
        ),
      );
      legends[3].replaceChildren(
        el("b", "sw-drawdown", "Drawdown"),
        el("span", "", none ?? ` ${fixed(data.drawdownPct[k], 2)}% from the equity peak`),
      );
    };

    // The trade shown: the one under the cursor, else the one picked with the buttons or table.
    const trades = data.trades;
    let hovered = null;
    let picked = null;
    let shown = null;
    const priceLines = [];
    const status = block.querySelector(".picked");
    const describe = (k) => {
      const t = trades[k];
      const long = t.direction === "long";
      const exits = t.exits.map((f) =>
        `${EXIT_NAME[f.reason]} ${fixed(f.price, d)} (${Math.round(f.share * 100)}%)`
      );
      return [
        el("b", long ? "dir-long" : "dir-short", `${long ? "▲ Long" : "▼ Short"} #${k + 1}`),
        el(
          "span",
          "",
          ` conf ${fixed(t.confidence, 2)} · entry ${isoMinute(data.time[t.entryBar])} at ${
            fixed(t.entry, d)
          } · `,
        ),
        el("b", "lvl-stop", `SL ${fixed(t.stopLoss, d)}`),
        el("span", "", " · "),
        el("b", "lvl-tp", `TP ${t.takeProfits.map((p) => fixed(p, d)).join(" / ")}`),
        el(
          "span",
          "",
          ` · exits: ${exits.join(", ")} · ${signed(t.r, 2)} R, net ${
            signed(t.netPnl, 2)
          } · ${t.barsHeld} bars`,
        ),
      ];
    };
    const showTrade = (k) => {
      box.show(k === null ? null : trades[k], k !== null && k === picked);
      if (k === shown) return;
      shown = k;
      while (priceLines.length) candles.removePriceLine(priceLines.pop());
      if (k === null) {
        tradeLine.replaceChildren();
        return;
      }
      const t = trades[k];
      const lvl = (price, color, title) =>
        priceLines.push(candles.createPriceLine({
          price,
          color,
          title,
          lineVisible: false,
          axisLabelVisible: true,
        }));
      lvl(t.entry, t.direction === "long" ? C.long : C.short, "entry");
      lvl(t.stopLoss, C.stop, "SL");
      t.takeProfits.forEach((p, i) => lvl(p, C.target, `TP${i + 1}`));
      tradeLine.replaceChildren(...describe(k));
    };
    const tradeAtBar = (bar) => {
      let lo = 0, hi = trades.length - 1, found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (trades[mid].entryBar <= bar) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found >= 0 && bar <= trades[found].exitBar ? found : null;
    };
    const refresh = () => showTrade(hovered ?? picked);

    chart.subscribeCrosshairMove((param) => {
      placeLegends();
      if (param.point === undefined || param.logical === undefined) {
        hovered = null;
        showValues(data.time.length - 1);
      } else {
        const bar = Math.round(param.logical);
        const id = typeof param.hoveredObjectId === "string" ? param.hoveredObjectId : "";
        hovered = /^t\d+$/.test(id) ? Number(id.slice(1)) : tradeAtBar(bar);
        showValues(bar);
      }
      refresh();
    });
    chart.timeScale().subscribeVisibleLogicalRangeChange(refreshMarkers);

    const zoom = (from, to) => chart.timeScale().setVisibleLogicalRange({ from, to });
    const pick = (k) => {
      picked = k;
      const t = trades[k];
      const pad = Math.max(25, (t.exitBar - t.entryBar) * 1.5);
      zoom(t.entryBar - pad, t.exitBar + pad);
      if (status) status.textContent = `trade ${k + 1} of ${trades.length}`;
      refresh();
    };
    const unpick = () => {
      picked = null;
      if (status) status.textContent = "";
      refresh();
    };
    const act = {
      all: () => {
        unpick();
        chart.timeScale().fitContent();
      },
      reported: () => {
        unpick();
        zoom(rs - 0.5, data.reportEnd - 0.5);
      },
      prev: () =>
        trades.length && pick(picked === null ? trades.length - 1 : Math.max(0, picked - 1)),
      next: () =>
        trades.length && pick(picked === null ? 0 : Math.min(trades.length - 1, picked + 1)),
    };
    for (const b of block.querySelectorAll("button[data-act]")) {
      b.addEventListener("click", () => act[b.dataset.act]());
    }
    for (const row of document.querySelectorAll(`tr[data-ds="${index}"][data-trade]`)) {
      row.addEventListener("click", () => {
        pick(Number(row.dataset.trade));
        block.scrollIntoView({ block: "start" });
      });
    }

    act.reported();
    refreshMarkers();
    showValues(data.time.length - 1);
    requestAnimationFrame(placeLegends);
    new ResizeObserver(placeLegends).observe(container);

    return {
      chart,
      candles,
      equity,
      buyAndHold: hold,
      drawdown,
      shownTrade: () => shown,
      pick,
      /** Viewport coordinates of the middle of trade k in the price pane (null when off screen). */
      tradePoint(k) {
        const t = trades[k];
        if (!t) return null;
        const x = chart.timeScale().logicalToCoordinate(Math.round((t.entryBar + t.exitBar) / 2));
        const pane = panes[0].getHTMLElement();
        if (x === null || !pane) return null;
        const r = pane.getBoundingClientRect();
        const y = candles.priceToCoordinate(t.entry);
        return { x: r.left + x, y: r.top + (y ?? r.height / 2) };
      },
    };
  }

  const api = { ready: false, datasets: [] };
  globalThis.backtestReport = api;
  const payload = JSON.parse(document.getElementById("report-data").textContent);
  payload.datasets.forEach((data, i) => {
    api.datasets.push(buildChart(data, document.getElementById(`chart-${i}`), i));
  });
  api.ready = true;
})();
