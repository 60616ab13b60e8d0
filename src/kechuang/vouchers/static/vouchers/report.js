/* The category chart on the voucher report (data from a json_script element; no inline script). */
(function () {
  "use strict";
  var holder = document.getElementById("category-chart");
  var source = document.getElementById("category-data");
  if (!holder || !source || typeof window.echarts === "undefined") { return; }
  var rows = JSON.parse(source.textContent || "[]");
  if (!rows.length) { holder.style.display = "none"; return; }
  var chart = window.echarts.init(holder, null, { renderer: "svg" });
  chart.setOption({
    tooltip: { trigger: "axis" },
    color: ["#123b6d", "#e0a526"],
    legend: { top: 0, data: ["补贴（元）", "服务金额（元）"] },
    grid: { left: 64, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: rows.map(function (r) { return r.label; }) },
    yAxis: { type: "value" },
    series: [
      { name: "补贴（元）", type: "bar", data: rows.map(function (r) { return r.subsidy_fen / 100; }) },
      { name: "服务金额（元）", type: "bar", data: rows.map(function (r) { return r.value_fen / 100; }) }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
