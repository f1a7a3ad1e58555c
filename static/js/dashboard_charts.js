/* 统计报表: draws the charts of a statistics page with the vendored ECharts.
 * The page embeds its figures with json_script (#chart-data); every element with data-chart="<key>"
 * gets the chart described by chartData[key] ({type: pyramid|bar|pie|line|stacked, labels, …}). */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) { return; }
  var chartData = JSON.parse(source.textContent);
  var palette = ["#9b2c2c", "#2f6f9f", "#d39b2a", "#4f8a4b", "#7a5ea8", "#c4654a", "#3f9aa0", "#8a8a8a", "#b5577d", "#5d6d7e"];
  var font = { fontFamily: "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif" };

  function fmt(unit) {
    return function (v) { return (v === null || v === undefined) ? "—" : (Math.abs(v).toLocaleString("zh-CN") + " " + unit); };
  }

  function pyramid(spec) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: fmt(spec.unit) },
      legend: { data: ["男", "女"], top: 0, right: 8 },
      grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "value", axisLabel: { formatter: function (v) { return Math.abs(v); } } },
      yAxis: { type: "category", data: spec.labels, axisTick: { show: false } },
      series: [
        { name: "男", type: "bar", stack: "p", data: spec.male.map(function (v) { return -v; }), itemStyle: { color: "#2f6f9f" },
          label: { show: true, position: "left", formatter: function (p) { return Math.abs(p.value) || ""; } } },
        { name: "女", type: "bar", stack: "p", data: spec.female, itemStyle: { color: "#c4654a" },
          label: { show: true, position: "right", formatter: function (p) { return p.value || ""; } } }
      ]
    };
  }

  function bar(spec) {
    var category = { type: "category", data: spec.labels, axisLabel: { interval: 0, hideOverlap: true } };
    var value = { type: "value", name: spec.unit };
    return {
      tooltip: { trigger: "axis", valueFormatter: fmt(spec.unit) },
      grid: { left: 8, right: 24, bottom: 8, top: 32, containLabel: true },
      xAxis: spec.horizontal ? value : category,
      yAxis: spec.horizontal ? Object.assign({}, category, { inverse: true }) : value,
      series: [{ type: "bar", data: spec.values, itemStyle: { color: palette[0] },
                 label: { show: true, position: spec.horizontal ? "right" : "top" } }]
    };
  }

  function pie(spec) {
    return {
      tooltip: { trigger: "item", valueFormatter: fmt(spec.unit) },
      legend: { type: "scroll", bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
                 data: spec.labels.map(function (l, i) { return { name: l, value: spec.values[i] }; }).filter(function (d) { return d.value > 0; }),
                 label: { formatter: "{b}\n{d}%" } }]
    };
  }

  function series(spec, stacked) {
    var single = spec.series.length === 1;
    return {
      tooltip: { trigger: "axis", valueFormatter: fmt(spec.unit) },
      legend: single ? undefined : { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: single ? 24 : 40, containLabel: true },
      xAxis: { type: "category", data: spec.labels, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", name: spec.unit, max: spec.max === null ? undefined : spec.max },
      series: spec.series.map(function (s) {
        return { name: s.name, type: spec.type === "line" ? "line" : "bar", data: s.values, stack: stacked ? "total" : undefined,
                 connectNulls: false, label: { show: single && spec.type !== "line", position: "top" } };
      })
    };
  }

  var builders = {
    pyramid: pyramid, bar: bar, pie: pie,
    line: function (s) { return series(s, false); },
    stacked: function (s) { return series(s, true); }
  };
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (node) {
    var spec = chartData[node.getAttribute("data-chart")];
    if (!spec || !builders[spec.type]) { return; }
    var chart = echarts.init(node, null, { renderer: "canvas" });
    var option = builders[spec.type](spec);
    option.color = palette;
    option.textStyle = font;
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
