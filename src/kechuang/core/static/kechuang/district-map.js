/* The district's schematic map, drawn offline with ECharts (SVG renderer) from the
   `district-map-data` json_script: blocks as coloured polygons, parks as labelled points (click opens
   the paired institute), the innovation lines as labelled polylines, amenities, and context landmarks.
   Coordinates are on the profile's canvas (1000 × 700, origin top left, y downwards).
   No tiles and no GeoJSON are fetched: everything is in the page. */
(function () {
  "use strict";

  var el = document.getElementById("district-map");
  var source = document.getElementById("district-map-data");
  if (!el || !source || typeof window.echarts === "undefined") {
    return;
  }
  var echarts = window.echarts;
  var data;
  try {
    data = JSON.parse(source.textContent || "{}");
  } catch (err) {
    el.setAttribute("data-map-error", "bad-data");
    return;
  }
  var canvas = data.canvas || {};
  var W = canvas.width || 1000;
  var H = canvas.height || 700;
  var blocks = (data.blocks || []).filter(function (b) { return Array.isArray(b.shape) && b.shape.length >= 3; });
  var parks = (data.parks || []).filter(function (p) { return typeof p.x === "number" && typeof p.y === "number" && (p.x || p.y); });
  var lines = (data.lines || []).filter(function (l) { return Array.isArray(l.path) && l.path.length >= 2; });
  var amenities = data.amenities || [];
  var landmarks = data.landmarks || [];

  var label = function (name, fallback) { return el.getAttribute("data-label-" + name) || fallback; };
  var LAYER = {
    blocks: label("blocks", "产业板块"),
    parks: label("parks", "科创园区"),
    lines: label("lines", "科创融合线"),
    amenities: label("amenities", "生活配套"),
    context: label("context", "参照")
  };
  var LINE_COLORS = ["#c8372d", "#e8a317", "#6a3aa8", "#0f8a8a", "#2f6fb5"];
  var PARK_COLOR = "#c8372d";
  var FONT_FAMILY = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";
  // Label sizes follow the map's scale a little, so a phone-sized map is not buried in text.
  var PARK_SIZE, PARK_FONT, BLOCK_FONT, LINE_FONT;
  function setFonts(unit) {
    var k = Math.max(0.78, Math.min(1, unit / 0.7));
    PARK_SIZE = Math.round(12 * k);
    PARK_FONT = "600 " + PARK_SIZE + "px " + FONT_FAMILY;
    BLOCK_FONT = "700 " + Math.round(22 * k) + "px " + FONT_FAMILY;
    LINE_FONT = "600 " + Math.round(13 * k) + "px " + FONT_FAMILY;
  }
  var esc = echarts.format.encodeHTML;

  if (!blocks.length && !parks.length && !lines.length) {
    el.classList.add("d-flex", "align-items-center", "justify-content-center", "text-muted");
    el.textContent = label("empty", "尚未配置示意地图数据。");
    el.setAttribute("data-rendered", "empty");
    return;
  }

  function centroid(points) {
    var area = 0, cx = 0, cy = 0;
    for (var i = 0, n = points.length; i < n; i++) {
      var p = points[i], q = points[(i + 1) % n];
      var f = p[0] * q[1] - q[0] * p[1];
      area += f; cx += (p[0] + q[0]) * f; cy += (p[1] + q[1]) * f;
    }
    if (Math.abs(area) < 1e-6) {
      var sx = 0, sy = 0;
      points.forEach(function (pt) { sx += pt[0]; sy += pt[1]; });
      return [sx / points.length, sy / points.length];
    }
    area *= 0.5;
    return [cx / (6 * area), cy / (6 * area)];
  }

  function hexToRgba(hex, alpha) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) { return "rgba(11, 92, 173, " + alpha + ")"; }
    var v = parseInt(m[1], 16);
    return "rgba(" + ((v >> 16) & 255) + ", " + ((v >> 8) & 255) + ", " + (v & 255) + ", " + alpha + ")";
  }

  // ---- label placement (canvas units) ------------------------------------------------------
  var measureCtx = document.createElement("canvas").getContext("2d");
  function textWidth(text, font) {
    if (!measureCtx) { return String(text).length * 13; }
    measureCtx.font = font;
    return measureCtx.measureText(String(text)).width;
  }
  function box(x, y, w, h) { return { x1: x, y1: y, x2: x + w, y2: y + h }; }
  function inflate(b, dx, dy) { return { x1: b.x1 - dx, y1: b.y1 - dy, x2: b.x2 + dx, y2: b.y2 + dy }; }
  function overlap(a, b) {
    var w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
    var h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
    return w > 0 && h > 0 ? w * h : 0;
  }
  function overlapAll(b, obstacles) {
    var total = 0;
    for (var i = 0; i < obstacles.length; i++) { total += overlap(b, obstacles[i]); }
    return total;
  }
  function outside(b) {
    var w = Math.max(0, -b.x1) + Math.max(0, b.x2 - W);
    var h = Math.max(0, -b.y1) + Math.max(0, b.y2 - H);
    return (w + h) * 50;
  }
  function distToSegment(p, a, b) {
    var dx = b[0] - a[0], dy = b[1] - a[1];
    var len2 = dx * dx + dy * dy;
    var t = len2 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) : 0;
    return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
  }
  function distToRing(p, ring) {
    var d = Infinity;
    for (var i = 0; i < ring.length; i++) { d = Math.min(d, distToSegment(p, ring[i], ring[(i + 1) % ring.length])); }
    return d;
  }
  function inside(p, ring) {
    var hit = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i], b = ring[j];
      if ((a[1] > p[1]) !== (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]) { hit = !hit; }
    }
    return hit;
  }
  function alongPath(path, step) {
    var out = [];
    for (var i = 1; i < path.length; i++) {
      var a = path[i - 1], b = path[i], n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / step));
      for (var k = 0; k < n; k++) { out.push([a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n]); }
    }
    out.push(path[path.length - 1]);
    return out;
  }

  /* Places park labels (right, left, above or below the pin), block names (well inside their polygon,
     clear of pins, labels and lines) and line names (along the line, clear of everything else), for
     the current scale `unit` (pixels per canvas unit). Returns the positions for the series. */
  function placeLabels(unit) {
    var px = function (v) { return v / unit; };
    var obstacles = [];
    var parkSides = [];
    parks.forEach(function (p) { obstacles.push(box(p.x - px(12), p.y - px(34), px(24), px(36))); });
    landmarks.forEach(function (m) {
      var w = px(textWidth(m.name, "14px " + FONT_FAMILY) + 8);
      obstacles.push(box(m.center[0] - w / 2, m.center[1] - px(12), w, px(24)));
    });
    parks.forEach(function (p, i) {
      var w = px(textWidth(p.name, PARK_FONT) + 14), h = px(PARK_SIZE + 12), gap = px(20);
      var options = [
        ["right", box(p.x + gap, p.y - px(14) - h / 2, w, h)],
        ["left", box(p.x - gap - w, p.y - px(14) - h / 2, w, h)],
        ["top", box(p.x - w / 2, p.y - px(36) - h, w, h)],
        ["bottom", box(p.x - w / 2, p.y + px(8), w, h)]
      ];
      var best = null;
      options.forEach(function (o, rank) {
        var others = obstacles.filter(function (_b, k) { return k !== i; });
        var score = overlapAll(o[1], others) + outside(o[1]) + rank * 0.5;
        if (!best || score < best.score) { best = { side: o[0], box: o[1], score: score }; }
      });
      parkSides.push(best.side);
      obstacles.push(inflate(best.box, px(6), px(8)));
    });
    var lineDots = [];
    lines.forEach(function (l) {
      alongPath(l.path, 12).forEach(function (pt) { lineDots.push(box(pt[0] - px(3), pt[1] - px(3), px(6), px(6))); });
    });

    var blockSpots = blocks.map(function (b) {
      var w = px(textWidth(b.name, BLOCK_FONT) + 8), h = px(30);
      var xs = b.shape.map(function (p) { return p[0]; }), ys = b.shape.map(function (p) { return p[1]; });
      var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
      var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
      var best = null, c = centroid(b.shape);
      for (var x = minX; x <= maxX; x += 10) {
        for (var y = minY; y <= maxY; y += 10) {
          var pt = [x, y];
          if (!inside(pt, b.shape)) { continue; }
          var edge = distToRing(pt, b.shape);
          if (edge < Math.max(w, h) / 2) { continue; }
          var bx = box(x - w / 2, y - h / 2, w, h);
          var score = overlapAll(bx, obstacles) * 4 + overlapAll(bx, lineDots) - edge * 2 +
            Math.hypot(x - c[0], y - c[1]) * 0.3;
          if (!best || score < best.score) { best = { at: pt, box: bx, score: score }; }
        }
      }
      if (!best) { best = { at: c, box: box(c[0] - w / 2, c[1] - h / 2, w, h) }; }
      obstacles.push(best.box);
      return best.at;
    });

    var lineSpots = lines.map(function (l) {
      var w = px(textWidth(l.name, LINE_FONT) + 8), h = px(20);
      var pts = alongPath(l.path, 8);
      var best = null;
      pts.forEach(function (pt, k) {
        var t = k / Math.max(1, pts.length - 1);
        if (t < 0.05 || t > 0.95) { return; }
        [[-w / 2, -h - px(6)], [-w / 2, px(6)], [px(8), -h / 2], [-w - px(8), -h / 2]].forEach(function (off, rank) {
          var bx = box(pt[0] + off[0], pt[1] + off[1], w, h);
          var score = overlapAll(bx, obstacles) * 4 + overlapAll(bx, lineDots) + outside(bx) +
            Math.abs(t - 0.5) * 6 + rank * 2;
          if (!best || score < best.score) { best = { box: bx, score: score }; }
        });
      });
      obstacles.push(inflate(best.box, px(4), px(4)));
      return [(best.box.x1 + best.box.x2) / 2, (best.box.y1 + best.box.y2) / 2];
    });
    return { parkSides: parkSides, blockSpots: blockSpots, lineSpots: lineSpots };
  }

  function renderBlock(params, api) {
    var b = blocks[params.dataIndex];
    var color = b.color || "#3d7cc9";
    var points = b.shape.map(function (p) { return api.coord(p); });
    var at = api.coord([api.value(0), api.value(1)]);
    return {
      type: "group",
      children: [
        {
          type: "polygon", shape: { points: points },
          style: { fill: hexToRgba(color, 0.18), stroke: color, lineWidth: 2, lineJoin: "round" },
          emphasis: { style: { fill: hexToRgba(color, 0.32) } }
        },
        {
          type: "text", silent: true,
          style: {
            text: b.name, x: at[0], y: at[1], align: "center", verticalAlign: "middle",
            fill: color, font: BLOCK_FONT, stroke: "rgba(255,255,255,0.95)", lineWidth: 4, opacity: 0.95
          }
        }
      ]
    };
  }

  function renderLine(params, api) {
    var index = params.dataIndex;
    var l = lines[index];
    var color = LINE_COLORS[index % LINE_COLORS.length];
    var main = index === 0;
    var points = l.path.map(function (p) { return api.coord(p); });
    var at = api.coord([api.value(0), api.value(1)]);
    return {
      type: "group",
      children: [
        {
          type: "polyline", shape: { points: points, smooth: 0.2 },
          style: { stroke: color, lineWidth: main ? 5 : 3.5, fill: null, lineCap: "round", lineJoin: "round",
            lineDash: main ? null : [10, 6], opacity: 0.9 },
          emphasis: { style: { lineWidth: main ? 7 : 5.5 } }
        },
        {
          type: "text",
          style: { text: l.name, x: at[0], y: at[1], align: "center", verticalAlign: "middle",
            fill: color, font: LINE_FONT, stroke: "rgba(255,255,255,0.95)", lineWidth: 4 }
        }
      ]
    };
  }

  function renderLandmark(params, api) {
    var m = landmarks[params.dataIndex];
    var center = api.coord(m.center);
    var r = api.size([m.radius || 60, 0])[0];
    return {
      type: "group", silent: true,
      children: [
        { type: "circle", shape: { cx: center[0], cy: center[1], r: r },
          style: { fill: "rgba(120, 134, 150, 0.07)", stroke: "#a3afbd", lineWidth: 1.2, lineDash: [5, 5] } },
        { type: "text", style: { text: m.name, x: center[0], y: center[1], align: "center", verticalAlign: "middle",
          fill: "#7b8896", font: "14px " + FONT_FAMILY } }
      ]
    };
  }

  function tooltip(params) {
    var d = params.data || {};
    var rows = [];
    if (d.block) {
      rows.push("<strong>" + esc(d.block.name) + "</strong>");
      if (d.block.theme) { rows.push(esc(d.block.theme)); }
      rows.push(esc(label("organizations", "在册机构")) + "：" + esc(String(d.block.organizations || 0)));
    } else if (d.line) {
      rows.push("<strong>" + esc(d.line.name) + "</strong>");
      if (d.line.roads) { rows.push(esc(label("roads", "沿线道路")) + "：" + esc(d.line.roads)); }
    } else if (d.park) {
      rows.push("<strong>" + esc(d.park.name) + "</strong>");
      if (d.park.institute) { rows.push(esc(label("institute", "依托院所")) + "：" + esc(d.park.institute)); }
      if (d.park.block) { rows.push(esc(label("block", "所在板块")) + "：" + esc(d.park.block)); }
      if (d.park.theme) { rows.push(esc(d.park.theme)); }
      if (d.park.institute_url) { rows.push("<span style=\"color:#0b5cad\">" + esc(label("open", "点击查看院所")) + " ›</span>"); }
    } else if (d.amenity) {
      rows.push("<strong>" + esc(d.amenity.name) + "</strong>");
      if (d.amenity.description) { rows.push(esc(d.amenity.description)); }
    } else {
      return "";
    }
    return "<div style=\"max-width:260px;white-space:normal;line-height:1.6\">" + rows.join("<br>") + "</div>";
  }

  function fitGrid() {
    // keep the canvas's aspect ratio whatever the container's size
    var w = el.clientWidth, h = el.clientHeight, pad = 8;
    var scale = Math.max(0.05, Math.min((w - 2 * pad) / W, (h - 2 * pad) / H));
    var gw = W * scale, gh = H * scale;
    return { left: (w - gw) / 2, top: (h - gh) / 2, width: gw, height: gh, unit: scale };
  }

  function seriesData(unit) {
    setFonts(unit);
    var placed = placeLabels(unit);
    return [
      { id: "context", data: landmarks.map(function (m) { return { name: m.name, value: m.center }; }) },
      { id: "blocks", data: blocks.map(function (b, i) { return { name: b.name, value: placed.blockSpots[i], block: b }; }) },
      { id: "lines", data: lines.map(function (l, i) { return { name: l.name, value: placed.lineSpots[i], line: l }; }) },
      { id: "amenities", data: amenities.map(function (a) { return { name: a.name, value: [a.x, a.y], amenity: a }; }) },
      { id: "parks", label: { fontSize: PARK_SIZE, padding: PARK_SIZE < 12 ? [2, 4] : [3, 6] }, data: parks.map(function (p, i) {
        return { name: p.name, value: [p.x, p.y], park: p, label: { position: placed.parkSides[i] } };
      }) }
    ];
  }

  var grid = fitGrid();
  var data0 = seriesData(grid.unit);
  var selected = {};
  selected[LAYER.amenities] = false; // amenities start hidden: the map reads better with fewer labels
  var option = {
    animation: false,
    aria: { enabled: false }, // the container keeps its own label; the lists beside the map say the same in text
    textStyle: { fontFamily: FONT_FAMILY },
    tooltip: { trigger: "item", confine: true, formatter: tooltip, borderColor: "#d5dde8",
      extraCssText: "box-shadow:0 6px 18px rgba(10,47,87,.15);" },
    legend: { show: false, data: [LAYER.blocks, LAYER.parks, LAYER.lines, LAYER.amenities], selected: selected },
    grid: { left: grid.left, top: grid.top, width: grid.width, height: grid.height },
    xAxis: { type: "value", min: 0, max: W, show: false },
    yAxis: { type: "value", min: 0, max: H, inverse: true, show: false },
    series: [
      { id: "context", name: LAYER.context, type: "custom", renderItem: renderLandmark, data: data0[0].data, silent: true, z: 1 },
      { id: "blocks", name: LAYER.blocks, type: "custom", renderItem: renderBlock, data: data0[1].data, z: 2 },
      { id: "lines", name: LAYER.lines, type: "custom", renderItem: renderLine, data: data0[2].data, z: 3 },
      {
        id: "amenities", name: LAYER.amenities, type: "scatter", z: 4, symbol: "diamond", symbolSize: 11,
        itemStyle: { color: "#0f8a8a", borderColor: "#fff", borderWidth: 1.5 },
        label: { show: true, position: "bottom", distance: 4, color: "#0d6670", fontSize: 11,
          textBorderColor: "#fff", textBorderWidth: 3, formatter: "{b}" },
        data: data0[3].data
      },
      {
        id: "parks", name: LAYER.parks, type: "scatter", z: 5, symbol: "pin", symbolSize: 30, symbolOffset: [0, "-45%"],
        itemStyle: { color: PARK_COLOR, borderColor: "#fff", borderWidth: 1.5, shadowBlur: 4, shadowColor: "rgba(0,0,0,0.25)" },
        emphasis: { scale: 1.15 },
        label: {
          show: true, position: "right", distance: 6, color: "#1f2d3d", fontSize: PARK_SIZE, fontWeight: 600,
          backgroundColor: "rgba(255,255,255,0.95)", borderColor: "#d5dde8", borderWidth: 1, borderRadius: 4,
          padding: PARK_SIZE < 12 ? [2, 4] : [3, 6], formatter: "{b}"
        },
        cursor: "pointer",
        data: data0[4].data
      }
    ]
  };

  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.on("finished", function () {
    el.setAttribute("data-rendered", "true");
  });
  chart.setOption(option);
  el.setAttribute("data-blocks", String(blocks.length));
  el.setAttribute("data-parks", String(parks.length));
  el.setAttribute("data-lines", String(lines.length));

  chart.on("click", function (params) {
    var d = params.data || {};
    if (d.park && d.park.institute_url) {
      window.location.assign(d.park.institute_url);
    }
  });

  var pending = null;
  var lastWidth = el.clientWidth;
  function resize() {
    if (pending) { window.cancelAnimationFrame(pending); }
    pending = window.requestAnimationFrame(function () {
      if (el.clientWidth === lastWidth) { return; }
      lastWidth = el.clientWidth;
      chart.resize();
      var g = fitGrid();
      chart.setOption({ grid: { left: g.left, top: g.top, width: g.width, height: g.height }, series: seriesData(g.unit) });
    });
  }
  if (typeof window.ResizeObserver === "function") {
    new window.ResizeObserver(resize).observe(el);
  } else {
    window.addEventListener("resize", resize);
  }

  // Layer toggles: plain buttons (keyboard and screen-reader friendly) driving the hidden legend.
  function layerShown(name) {
    var state = (chart.getOption().legend[0] || {}).selected || {};
    return state[name] !== false;
  }
  var toggles = document.querySelectorAll("[data-map-layer]");
  Array.prototype.forEach.call(toggles, function (button) {
    var layer = button.getAttribute("data-map-layer");
    var name = LAYER[layer];
    if (!name) { return; }
    var present = (layer === "blocks" && blocks.length) || (layer === "parks" && parks.length) ||
      (layer === "lines" && lines.length) || (layer === "amenities" && amenities.length);
    if (!present) { button.hidden = true; return; }
    button.setAttribute("aria-pressed", layerShown(name) ? "true" : "false");
    button.addEventListener("click", function () {
      chart.dispatchAction({ type: "legendToggleSelect", name: name });
      button.setAttribute("aria-pressed", layerShown(name) ? "true" : "false");
    });
  });
})();
