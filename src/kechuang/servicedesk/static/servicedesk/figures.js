/* Service-desk figures: two bar charts drawn from the JSON the page embeds (no inline script, CSP-safe). */
(function () {
  "use strict";
  var source = document.getElementById("sd-chart-data");
  if (!source || typeof window.echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var font = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif";
  var palette = ["#0b5cad", "#c8372d", "#e8a317", "#1a8a5a"];

  function draw(node, labels, first, second) {
    if (!labels.length) {
      node.textContent = node.getAttribute("data-empty") || "—";
      node.classList.add("d-flex", "align-items-center", "justify-content-center", "text-muted");
      return;
    }
    var chart = window.echarts.init(node, null, { renderer: "svg" });
    chart.setOption({
      color: palette,
      textStyle: { fontFamily: font },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 36, bottom: 48 },
      xAxis: { type: "category", data: labels, axisLabel: { interval: labels.length > 12 ? "auto" : 0, rotate: labels.length > 6 ? 40 : 0 } },
      yAxis: [{ type: "value", name: first.unit, minInterval: 0.5 }, { type: "value", name: "%", max: 100 }],
      series: [
        { name: first.name, type: "bar", data: first.values, barMaxWidth: 28 },
        { name: second.name, type: "line", yAxisIndex: 1, data: second.values, symbolSize: 7 },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var category = document.querySelector("[data-chart=category]");
  if (category) {
    draw(category, data.categories,
      { name: "平均首次响应（小时）", unit: "小时", values: data.response_hours },
      { name: "办结超时率", values: data.breach });
  }
  var commissioner = document.querySelector("[data-chart=commissioner]");
  if (commissioner) {
    draw(commissioner, data.commissioners,
      { name: "平均满意度（分）", unit: "分", values: data.commissioner_rating },
      { name: "办结超时率", values: data.commissioner_breach });
  }
})();
