/* Insights charts, drawn with the vendored ECharts from the `insights-chart-data` json_script.
   - [data-chart=progress]: a horizontal bar per KPI with this year's target, in % of the target.
   - [data-chart=trend][data-codes="a b"]: monthly lines/bars of the named KPIs (and quarters when
     data-quarters is set).
   No inline script (CSP script-src 'self'); nothing is fetched. */
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var source = document.getElementById("insights-chart-data");
  if (!source || typeof window.echarts === "undefined") { return; }
  var data;
  try { data = JSON.parse(source.textContent || "{}"); } catch (err) { return; }
  var echarts = window.echarts;
  var COLORS = ["#c8372d", "#2f6fb5", "#e8a317", "#0f8a8a", "#6a3aa8", "#2e8b57"];
  var HEIGHT_COLORS = { transfer: "#c8372d", resources: "#2f6fb5", incubation: "#e8a317", talent: "#0f8a8a", literacy: "#6a3aa8" };
  var charts = [];

  function empty(el, text) {
    el.classList.add("d-flex", "align-items-center", "justify-content-center", "text-muted", "small");
    el.style.height = "120px";
    el.textContent = text || "—";
  }

  function progress(el) {
    var items = (data.progress || []).filter(function (p) { return p.value !== null; });
    if (!items.length) { empty(el, el.getAttribute("data-empty")); return; }
    items = items.slice().reverse();
    el.style.height = Math.max(220, items.length * 30 + 50) + "px";
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 48, top: 22, bottom: 24, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) { return p.name + "：" + p.value + "%"; } },
      xAxis: { type: "value", max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); },
               axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: items.map(function (p) { return p.name; }), axisTick: { show: false } },
      series: [{
        type: "bar", barMaxWidth: 16,
        data: items.map(function (p) { return { value: p.value, itemStyle: { color: HEIGHT_COLORS[p.height] || COLORS[0], borderRadius: 3 } }; }),
        label: { show: true, position: "right", formatter: "{c}%" },
        markLine: { symbol: "none", silent: true, lineStyle: { color: "#6c7785", type: "dashed" }, label: { formatter: "100%", position: "end" }, data: [{ xAxis: 100 }] }
      }]
    });
    charts.push(chart);
  }

  function trend(el) {
    var codes = (el.getAttribute("data-codes") || "").split(/\s+/).filter(function (c) { return data.trends && data.trends[c]; });
    if (!codes.length) { empty(el, "—"); return; }
    var quarterly = el.getAttribute("data-quarters") === "1";
    var series = [];
    codes.forEach(function (code, i) {
      var t = data.trends[code];
      series.push({ name: t.name + "（" + t.unit + "）", type: t.kind === "stock" ? "line" : "bar", data: t.months,
                    itemStyle: { color: COLORS[i % COLORS.length] }, barMaxWidth: 18, smooth: true, connectNulls: false });
    });
    var option = {
      animation: false,
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: [{ type: "category", data: data.months }],
      yAxis: [{ type: "value", minInterval: 1 }],
      series: series
    };
    if (quarterly && codes.length === 1) {
      var t = data.trends[codes[0]];
      option.xAxis.push({ type: "category", data: ["一季度", "二季度", "三季度", "四季度"], gridIndex: 1 });
      option.yAxis.push({ type: "value", gridIndex: 1, minInterval: 1 });
      option.grid = [{ left: 8, right: "42%", top: 36, bottom: 8, containLabel: true },
                     { left: "62%", right: 16, top: 36, bottom: 8, containLabel: true }];
      option.series.push({ name: t.name + "（季度）", type: "bar", xAxisIndex: 1, yAxisIndex: 1, data: t.quarters,
                           itemStyle: { color: COLORS[1] }, barMaxWidth: 28, label: { show: true, position: "top" } });
    }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var kind = el.getAttribute("data-chart");
    if (kind === "progress") { progress(el); } else if (kind === "trend") { trend(el); }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
